import { DomainError, ErrorCode } from './errors';
import { DomainEvent, EventRef } from './events';

export const WALLET_CONTEXT = 'wallet';
export const WALLET_TOPIC = 'concert.wallet.events';
export const walletStream = (userId: string): string => `wallet-account-${userId}`;

export type WalletCharged = DomainEvent<
  'WalletCharged',
  { userId: string; chargeId: string; amount: number; balanceAfter: number; chargedAt: string }
>;
export type WalletDebited = DomainEvent<
  'WalletDebited',
  { userId: string; paymentId: string; reservationId: string; amount: number; balanceAfter: number; debitedAt: string }
>;
export type WalletRefunded = DomainEvent<
  'WalletRefunded',
  { userId: string; paymentId: string; amount: number; balanceAfter: number; refundedAt: string }
>;
export type WalletEvent = WalletCharged | WalletDebited | WalletRefunded;

export const WalletPatterns = {
  balance: 'wallet.balance',
  charge: 'wallet.charge',
  debit: 'wallet.debit',
  refund: 'wallet.refund',
} as const;

export interface BalanceReply {
  userId: string;
  balance: number;
}
export interface ChargeRequest {
  userId: string;
  amount: number;
  idempotencyKey?: string;
}
export interface ChargeReply {
  userId: string;
  chargedAmount: number;
  balance: number;
  chargedAt: string;
}
export interface DebitRequest {
  userId: string;
  paymentId: string;
  reservationId: string;
  amount: number;
  /**
   * The debit is stored only if this event is stored before it (the payment's start, queued just before
   * on a store that keeps the order of appends); otherwise it is refused with RequiredEventMissingError.
   */
  after?: EventRef;
  /**
   * The id the debit's event gets, chosen by the caller so that its own next appends can be stored on
   * the condition that the debit is (`after`), queued in the same tick instead of after the debit's commit.
   */
  eventId?: string;
}
export interface RefundRequest {
  userId: string;
  paymentId: string;
}
export interface WalletMovementReply {
  userId: string;
  paymentId: string;
  amount: number;
  balance: number;
}

/** Checks a charge amount: a positive JSON integer no larger than the per-charge maximum. */
export function assertChargeAmount(amount: unknown, maxAmount: number): asserts amount is number {
  if (typeof amount !== 'number' || !Number.isFinite(amount)) {
    throw new DomainError(ErrorCode.InvalidAmount, 'Amount must be an integer');
  }
  if (amount <= 0) throw new DomainError(ErrorCode.AmountNotPositive);
  if (!Number.isInteger(amount)) throw new DomainError(ErrorCode.InvalidAmount, 'Amount must be an integer');
  if (amount > maxAmount) throw new DomainError(ErrorCode.InvalidAmount, `Amount must not exceed ${maxAmount}`);
}
