import {
  DomainError,
  ErrorCode,
  isoTime,
  PaymentCompleted,
  PaymentEvent,
  PaymentFailed,
  PaymentFailureReason,
  PaymentRefunded,
  PaymentStarted,
} from '@concert/contracts';
import { Decider } from '@concert/event-store';

interface PaymentInfo {
  paymentId: string;
  reservationId: string;
  userId: string;
  amount: number;
  seatStreamId: string;
}

/** One payment stream per reservation: a reservation is paid at most once. */
export type PaymentState =
  | { status: 'None' }
  | ({ status: 'Started' } & PaymentInfo)
  | ({ status: 'Completed'; paidAt: string } & PaymentInfo)
  | ({ status: 'Failed'; reason: PaymentFailureReason } & PaymentInfo)
  | ({ status: 'Refunded' } & PaymentInfo);

export type StartPayment = { type: 'StartPayment'; now: Date } & PaymentInfo;
/** `paidAt`: when the seat was sold (the payment's answer carries it before this is recorded); `now` if not given. */
export type CompletePayment = { type: 'CompletePayment'; paymentId: string; now: Date; paidAt?: string };
export type FailPayment = { type: 'FailPayment'; paymentId: string; reason: PaymentFailureReason; now: Date };
export type RecordRefund = { type: 'RecordRefund'; paymentId: string; now: Date };
export type PaymentCommand = StartPayment | CompletePayment | FailPayment | RecordRefund;

const isCurrent = (state: PaymentState, paymentId: string): state is { status: 'Started' } & PaymentState & PaymentInfo =>
  state.status === 'Started' && state.paymentId === paymentId;

export const paymentDecider: Decider<PaymentState, PaymentCommand, PaymentEvent> = {
  initialState: () => ({ status: 'None' }),

  decide(command, state): PaymentEvent[] {
    switch (command.type) {
      case 'StartPayment': {
        if (state.status === 'Started' || state.status === 'Completed') return [];
        if (state.status === 'Refunded' || (state.status === 'Failed' && state.reason === 'RESERVATION_EXPIRED')) {
          throw new DomainError(ErrorCode.ReservationExpired);
        }
        const started: PaymentStarted = {
          type: 'PaymentStarted',
          data: {
            paymentId: command.paymentId,
            reservationId: command.reservationId,
            userId: command.userId,
            amount: command.amount,
            seatStreamId: command.seatStreamId,
            startedAt: isoTime(command.now),
          },
        };
        return [started];
      }
      case 'CompletePayment': {
        if (!isCurrent(state, command.paymentId)) return [];
        const completed: PaymentCompleted = {
          type: 'PaymentCompleted',
          data: {
            paymentId: state.paymentId,
            reservationId: state.reservationId,
            userId: state.userId,
            amount: state.amount,
            paidAt: command.paidAt ?? isoTime(command.now),
          },
        };
        return [completed];
      }
      case 'FailPayment': {
        if (!isCurrent(state, command.paymentId)) return [];
        const failed: PaymentFailed = {
          type: 'PaymentFailed',
          data: {
            paymentId: state.paymentId,
            reservationId: state.reservationId,
            reason: command.reason,
            failedAt: isoTime(command.now),
          },
        };
        return [failed];
      }
      case 'RecordRefund': {
        if (!isCurrent(state, command.paymentId)) return [];
        const refunded: PaymentRefunded = {
          type: 'PaymentRefunded',
          data: {
            paymentId: state.paymentId,
            reservationId: state.reservationId,
            amount: state.amount,
            refundedAt: isoTime(command.now),
          },
        };
        return [refunded];
      }
      default: {
        const exhaustive: never = command;
        throw new Error(`Unknown command ${JSON.stringify(exhaustive)}`);
      }
    }
  },

  evolve(state, event): PaymentState {
    switch (event.type) {
      case 'PaymentStarted':
        return { status: 'Started', ...event.data };
      case 'PaymentCompleted':
        return state.status === 'Started' ? { ...state, status: 'Completed', paidAt: event.data.paidAt } : state;
      case 'PaymentFailed':
        return state.status === 'Started' ? { ...state, status: 'Failed', reason: event.data.reason } : state;
      case 'PaymentRefunded':
        return state.status === 'Started' ? { ...state, status: 'Refunded' } : state;
      default:
        return state;
    }
  },
};
