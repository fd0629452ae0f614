import { DomainEvent } from './events';

export const BOOKING_CONTEXT = 'booking';
export const BOOKING_TOPIC = 'concert.booking.events';
export const concertStream = (concertId: number): string => `booking-concert-${concertId}`;
/** `concertId:date:seatNumber`, built flat (join): kept by the hundred thousand as map keys, a concatenation would keep its pieces too. */
export const seatKey = (concertId: number, date: string, seatNumber: number): string => [concertId, date, seatNumber].join(':');
export const seatStream = (concertId: number, date: string, seatNumber: number): string =>
  `booking-seat-${seatKey(concertId, date, seatNumber)}`;
export const paymentStream = (reservationId: string): string => `booking-payment-${reservationId}`;
export const bookingIdempotencyStream = (userId: string, keyHash: string): string => `booking-idempotency-${userId}:${keyHash}`;

export type ReservationStatus = 'TEMPORARILY_RESERVED' | 'CONFIRMED' | 'EXPIRED' | 'CANCELLED';

export interface SeatSpec {
  seatNumber: number;
  price: number;
}

export type ConcertCreated = DomainEvent<'ConcertCreated', { concertId: number; title: string; createdAt: string }>;
export type ScheduleAdded = DomainEvent<'ScheduleAdded', { concertId: number; date: string; seats: SeatSpec[]; addedAt: string }>;
export type CatalogEvent = ConcertCreated | ScheduleAdded;

export interface HoldData {
  reservationId: string;
  userId: string;
  concertId: number;
  date: string;
  seatNumber: number;
  price: number;
  heldAt: string;
  expiresAt: string;
}
export type SeatHeld = DomainEvent<'SeatHeld', HoldData>;
export type SeatHoldCancelled = DomainEvent<'SeatHoldCancelled', { reservationId: string; userId: string; cancelledAt: string }>;
export type SeatHoldExpired = DomainEvent<
  'SeatHoldExpired',
  { reservationId: string; userId: string; expiresAt: string; expiredAt: string }
>;
export type SeatSold = DomainEvent<
  'SeatSold',
  { reservationId: string; userId: string; paymentId: string; price: number; soldAt: string }
>;
export type SeatEvent = SeatHeld | SeatHoldCancelled | SeatHoldExpired | SeatSold;

export type PaymentFailureReason = 'INSUFFICIENT_BALANCE' | 'RESERVATION_EXPIRED';
export type PaymentStarted = DomainEvent<
  'PaymentStarted',
  { paymentId: string; reservationId: string; userId: string; amount: number; seatStreamId: string; startedAt: string }
>;
export type PaymentCompleted = DomainEvent<
  'PaymentCompleted',
  { paymentId: string; reservationId: string; userId: string; amount: number; paidAt: string }
>;
export type PaymentFailed = DomainEvent<
  'PaymentFailed',
  { paymentId: string; reservationId: string; reason: PaymentFailureReason; failedAt: string }
>;
export type PaymentRefunded = DomainEvent<
  'PaymentRefunded',
  { paymentId: string; reservationId: string; amount: number; refundedAt: string }
>;
export type PaymentEvent = PaymentStarted | PaymentCompleted | PaymentFailed | PaymentRefunded;

export const BookingPatterns = {
  availableDates: 'booking.available-dates',
  availableSeats: 'booking.available-seats',
  holdSeat: 'booking.hold-seat',
  getReservation: 'booking.get-reservation',
  cancelReservation: 'booking.cancel-reservation',
  pay: 'booking.pay',
  createConcert: 'booking.admin.create-concert',
  addSchedule: 'booking.admin.add-schedule',
} as const;

export interface AvailableDatesReply {
  concertId: number;
  availableDates: string[];
}
export interface AvailableSeatsReply {
  concertId: number;
  date: string;
  seats: SeatSpec[];
}
export interface HoldSeatRequest {
  userId: string;
  concertId: number;
  date: string;
  seatNumber: number;
}
export interface ReservationView {
  reservationId: string;
  concertId: number;
  date: string;
  seatNumber: number;
  status: ReservationStatus;
  expiresAt: string;
  price: number;
}
export interface ReservationRequest {
  userId: string;
  reservationId: string;
}
export interface PayRequest {
  userId: string;
  reservationId: string;
  idempotencyKey?: string;
  /** The caller's token ended with a payment: only an answer already given may be replayed, nothing new done. */
  replayOnly?: boolean;
}
export interface PaymentReply {
  paymentId: string;
  reservationId: string;
  userId: string;
  amount: number;
  status: 'COMPLETED';
  paidAt: string;
}
export interface CreateConcertRequest {
  concertId: number;
  title: string;
}
export interface AddScheduleRequest {
  concertId: number;
  date: string;
  seats: SeatSpec[];
}
