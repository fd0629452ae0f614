import {
  DomainError,
  ErrorCode,
  HoldData,
  isoTime,
  parseIsoTime,
  SeatEvent,
  SeatHeld,
  SeatHoldCancelled,
  SeatHoldExpired,
  SeatSold,
} from '@concert/contracts';
import { Decider } from '@concert/event-store';

export type SeatState =
  | { status: 'Free' }
  | { status: 'Held'; hold: HoldData }
  | { status: 'Sold'; reservationId: string; userId: string; paymentId: string; soldAt: string };

export type HoldSeat = {
  type: 'HoldSeat';
  reservationId: string;
  userId: string;
  concertId: number;
  date: string;
  seatNumber: number;
  price: number;
  now: Date;
  ttlSeconds: number;
};
export type CancelHold = { type: 'CancelHold'; reservationId: string; userId: string; now: Date };
export type ConfirmSale = { type: 'ConfirmSale'; reservationId: string; paymentId: string; now: Date };
export type ExpireHold = { type: 'ExpireHold'; reservationId: string; now: Date };
export type SeatCommand = HoldSeat | CancelHold | ConfirmSale | ExpireHold;

const isOver = (hold: HoldData, now: Date): boolean => now.getTime() >= parseIsoTime(hold.expiresAt);

/** A show whose date (UTC calendar day) is before today's is no longer on sale. */
const hasPassed = (date: string, now: Date): boolean => date < isoTime(now).slice(0, 10);

const expiredEvent = (hold: HoldData, now: Date): SeatHoldExpired => ({
  type: 'SeatHoldExpired',
  data: { reservationId: hold.reservationId, userId: hold.userId, expiresAt: hold.expiresAt, expiredAt: isoTime(now) },
});

/** One seat of one date: free, held until a deadline, or sold for good. */
export const seatDecider: Decider<SeatState, SeatCommand, SeatEvent> = {
  initialState: () => ({ status: 'Free' }),

  decide(command, state): SeatEvent[] {
    switch (command.type) {
      case 'HoldSeat': {
        if (hasPassed(command.date, command.now)) throw new DomainError(ErrorCode.ScheduleNotFound);
        if (state.status === 'Sold') throw new DomainError(ErrorCode.SeatAlreadyReserved);
        if (state.status === 'Held' && !isOver(state.hold, command.now)) throw new DomainError(ErrorCode.SeatAlreadyReserved);
        const held: SeatHeld = {
          type: 'SeatHeld',
          data: {
            reservationId: command.reservationId,
            userId: command.userId,
            concertId: command.concertId,
            date: command.date,
            seatNumber: command.seatNumber,
            price: command.price,
            heldAt: isoTime(command.now),
            expiresAt: isoTime(command.now.getTime() + command.ttlSeconds * 1000),
          },
        };
        return state.status === 'Held' ? [expiredEvent(state.hold, command.now), held] : [held];
      }
      case 'CancelHold': {
        if (state.status !== 'Held' || state.hold.reservationId !== command.reservationId) {
          throw new DomainError(ErrorCode.ReservationNotActive);
        }
        if (state.hold.userId !== command.userId) throw new DomainError(ErrorCode.ReservationNotFound);
        if (isOver(state.hold, command.now)) throw new DomainError(ErrorCode.ReservationExpired);
        const cancelled: SeatHoldCancelled = {
          type: 'SeatHoldCancelled',
          data: { reservationId: command.reservationId, userId: command.userId, cancelledAt: isoTime(command.now) },
        };
        return [cancelled];
      }
      case 'ConfirmSale': {
        if (state.status === 'Sold' && state.reservationId === command.reservationId && state.paymentId === command.paymentId) {
          return [];
        }
        if (state.status !== 'Held' || state.hold.reservationId !== command.reservationId || isOver(state.hold, command.now)) {
          throw new DomainError(ErrorCode.ReservationExpired);
        }
        const sold: SeatSold = {
          type: 'SeatSold',
          data: {
            reservationId: command.reservationId,
            userId: state.hold.userId,
            paymentId: command.paymentId,
            price: state.hold.price,
            soldAt: isoTime(command.now),
          },
        };
        return [sold];
      }
      case 'ExpireHold':
        if (state.status !== 'Held' || state.hold.reservationId !== command.reservationId) return [];
        return isOver(state.hold, command.now) ? [expiredEvent(state.hold, command.now)] : [];
      default: {
        const exhaustive: never = command;
        throw new Error(`Unknown command ${JSON.stringify(exhaustive)}`);
      }
    }
  },

  evolve(state, event): SeatState {
    switch (event.type) {
      case 'SeatHeld':
        return { status: 'Held', hold: event.data };
      case 'SeatHoldCancelled':
      case 'SeatHoldExpired':
        return state.status === 'Held' && state.hold.reservationId === event.data.reservationId ? { status: 'Free' } : state;
      case 'SeatSold':
        return {
          status: 'Sold',
          reservationId: event.data.reservationId,
          userId: event.data.userId,
          paymentId: event.data.paymentId,
          soldAt: event.data.soldAt,
        };
      default:
        return state;
    }
  },
};
