import { ErrorCode, PaymentCompleted, PaymentFailed, PaymentRefunded, PaymentStarted } from '@concert/contracts';
import { deciderSpec } from '@concert/testing';
import { paymentDecider, StartPayment } from './payment.decider';

const T0 = Date.parse('2030-05-01T10:00:00.000Z');
const t = (seconds: number): Date => new Date(T0 + seconds * 1000);
const userId = '11111111-1111-4111-8111-111111111111';
const reservationId = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const p1 = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
const p2 = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd';
const seatStreamId = 'booking-seat-1:2030-06-01:7';

const { given } = deciderSpec(paymentDecider);

const start = (paymentId = p1, now = t(0)): StartPayment => ({
  type: 'StartPayment',
  paymentId,
  reservationId,
  userId,
  amount: 150_000,
  seatStreamId,
  now,
});
const started = (paymentId = p1, now = t(0)): PaymentStarted => ({
  type: 'PaymentStarted',
  data: { paymentId, reservationId, userId, amount: 150_000, seatStreamId, startedAt: now.toISOString() },
});
const completed = (paymentId = p1): PaymentCompleted => ({
  type: 'PaymentCompleted',
  data: { paymentId, reservationId, userId, amount: 150_000, paidAt: t(2).toISOString() },
});
const failed = (reason: PaymentFailed['data']['reason'], paymentId = p1): PaymentFailed => ({
  type: 'PaymentFailed',
  data: { paymentId, reservationId, reason, failedAt: t(1).toISOString() },
});
const refunded = (paymentId = p1): PaymentRefunded => ({
  type: 'PaymentRefunded',
  data: { paymentId, reservationId, amount: 150_000, refundedAt: t(3).toISOString() },
});

describe('payment decider', () => {
  describe('StartPayment', () => {
    it('starts the first payment of a reservation', () => {
      given([]).when(start()).then([started()]);
    });

    it('never starts a second payment while one runs or after one completed', () => {
      given([started()]).when(start(p2)).thenNothing();
      given([started(), completed()]).when(start(p2)).thenNothing();
    });

    it('lets the buyer retry after a 402 (a fresh payment id)', () => {
      given([started(), failed('INSUFFICIENT_BALANCE')])
        .when(start(p2, t(60)))
        .then([started(p2, t(60))]);
    });

    it('answers expired once the hold was lost', () => {
      given([started(), failed('RESERVATION_EXPIRED')])
        .when(start(p2))
        .thenThrows(ErrorCode.ReservationExpired);
      given([started(), refunded()]).when(start(p2)).thenThrows(ErrorCode.ReservationExpired);
    });
  });

  describe('CompletePayment', () => {
    it('completes the running payment', () => {
      given([started()])
        .when({ type: 'CompletePayment', paymentId: p1, now: t(2) })
        .then([completed()]);
    });

    it('records the given time of the sale as paidAt, the time it is recorded otherwise', () => {
      given([started()])
        .when({ type: 'CompletePayment', paymentId: p1, now: t(7), paidAt: t(2).toISOString() })
        .then([completed()]);
    });

    it('is a no-op for another payment id or a payment that already ended', () => {
      given([started()])
        .when({ type: 'CompletePayment', paymentId: p2, now: t(2) })
        .thenNothing();
      given([started(), completed()])
        .when({ type: 'CompletePayment', paymentId: p1, now: t(5) })
        .thenNothing();
      given([started(), refunded()])
        .when({ type: 'CompletePayment', paymentId: p1, now: t(5) })
        .thenNothing();
    });
  });

  describe('FailPayment', () => {
    it('fails the running payment with its reason', () => {
      given([started()])
        .when({ type: 'FailPayment', paymentId: p1, reason: 'INSUFFICIENT_BALANCE', now: t(1) })
        .then([failed('INSUFFICIENT_BALANCE')]);
    });

    it('never fails a completed payment', () => {
      given([started(), completed()])
        .when({ type: 'FailPayment', paymentId: p1, reason: 'INSUFFICIENT_BALANCE', now: t(3) })
        .thenNothing();
    });
  });

  describe('RecordRefund', () => {
    it('records the compensation of the running payment with its amount', () => {
      given([started()])
        .when({ type: 'RecordRefund', paymentId: p1, now: t(3) })
        .then([refunded()]);
    });

    it('never refunds a completed payment, and refunds once', () => {
      given([started(), completed()])
        .when({ type: 'RecordRefund', paymentId: p1, now: t(3) })
        .thenNothing();
      given([started(), refunded()])
        .when({ type: 'RecordRefund', paymentId: p1, now: t(4) })
        .thenNothing();
    });
  });
});
