import {
  assertChargeAmount,
  DomainError,
  ErrorCode,
  isoTime,
  WalletCharged,
  WalletDebited,
  WalletEvent,
  WalletRefunded,
} from '@concert/contracts';
import { Decider } from '@concert/event-store';

export interface ChargeRecord {
  amount: number;
  balanceAfter: number;
  chargedAt: string;
}

export interface DebitRecord {
  amount: number;
  reservationId: string;
  balanceAfter: number;
  refunded: boolean;
}

export interface WalletState {
  balance: number;
  charges: Map<string, ChargeRecord>;
  debits: Map<string, DebitRecord>;
}

export type ChargeWallet = {
  type: 'ChargeWallet';
  userId: string;
  chargeId: string;
  amount: number;
  maxAmount: number;
  now: Date;
};
export type DebitWallet = {
  type: 'DebitWallet';
  userId: string;
  paymentId: string;
  reservationId: string;
  amount: number;
  now: Date;
};
export type RefundWallet = { type: 'RefundWallet'; userId: string; paymentId: string; now: Date };
export type WalletCommand = ChargeWallet | DebitWallet | RefundWallet;

/** `evolve` extends the maps of the state it folds (a fresh state per load) to keep folds linear. */
export const walletDecider: Decider<WalletState, WalletCommand, WalletEvent> = {
  initialState: () => ({ balance: 0, charges: new Map(), debits: new Map() }),

  decide(command, state): WalletEvent[] {
    switch (command.type) {
      case 'ChargeWallet': {
        assertChargeAmount(command.amount, command.maxAmount);
        const previous = state.charges.get(command.chargeId);
        if (previous) {
          if (previous.amount !== command.amount) throw new DomainError(ErrorCode.IdempotencyKeyReused);
          return [];
        }
        if (!Number.isSafeInteger(state.balance + command.amount)) {
          throw new DomainError(ErrorCode.InvalidAmount, 'Balance would exceed the largest amount a wallet can hold');
        }
        const charged: WalletCharged = {
          type: 'WalletCharged',
          data: {
            userId: command.userId,
            chargeId: command.chargeId,
            amount: command.amount,
            balanceAfter: state.balance + command.amount,
            chargedAt: isoTime(command.now),
          },
        };
        return [charged];
      }
      case 'DebitWallet': {
        if (state.debits.has(command.paymentId)) return [];
        if (!Number.isSafeInteger(command.amount) || command.amount < 0) {
          throw new DomainError(ErrorCode.InvalidAmount, 'Debit amount must be a non-negative integer');
        }
        if (state.balance < command.amount) throw new DomainError(ErrorCode.InsufficientBalance);
        const debited: WalletDebited = {
          type: 'WalletDebited',
          data: {
            userId: command.userId,
            paymentId: command.paymentId,
            reservationId: command.reservationId,
            amount: command.amount,
            balanceAfter: state.balance - command.amount,
            debitedAt: isoTime(command.now),
          },
        };
        return [debited];
      }
      case 'RefundWallet': {
        const debit = state.debits.get(command.paymentId);
        if (!debit || debit.refunded) return [];
        const refunded: WalletRefunded = {
          type: 'WalletRefunded',
          data: {
            userId: command.userId,
            paymentId: command.paymentId,
            amount: debit.amount,
            balanceAfter: state.balance + debit.amount,
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

  evolve(state, event): WalletState {
    switch (event.type) {
      case 'WalletCharged':
        state.charges.set(event.data.chargeId, {
          amount: event.data.amount,
          balanceAfter: state.balance + event.data.amount,
          chargedAt: event.data.chargedAt,
        });
        return { ...state, balance: state.balance + event.data.amount };
      case 'WalletDebited':
        state.debits.set(event.data.paymentId, {
          amount: event.data.amount,
          reservationId: event.data.reservationId,
          balanceAfter: state.balance - event.data.amount,
          refunded: false,
        });
        return { ...state, balance: state.balance - event.data.amount };
      case 'WalletRefunded': {
        const debit = state.debits.get(event.data.paymentId);
        if (debit) debit.refunded = true;
        return { ...state, balance: state.balance + event.data.amount };
      }
      default:
        return state;
    }
  },
};
