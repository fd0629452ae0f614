import { ErrorCode, WalletCharged, WalletDebited, WalletRefunded } from '@concert/contracts';
import { deciderSpec } from '@concert/testing';
import { ChargeWallet, DebitWallet, walletDecider } from './wallet.decider';

const T0 = Date.parse('2030-05-01T10:00:00.000Z');
const t = (seconds: number): Date => new Date(T0 + seconds * 1000);
const userId = '11111111-1111-4111-8111-111111111111';
const reservationId = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const c1 = 'c1c1c1c1-c1c1-4c1c-8c1c-c1c1c1c1c1c1';
const c2 = 'c2c2c2c2-c2c2-4c2c-8c2c-c2c2c2c2c2c2';
const p1 = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
const MAX = 10_000_000;

const { given } = deciderSpec(walletDecider);

const charge = (amount: unknown, chargeId = c1, now = t(0)): ChargeWallet => ({
  type: 'ChargeWallet',
  userId,
  chargeId,
  amount: amount as number,
  maxAmount: MAX,
  now,
});
const charged = (amount: number, balanceAfter: number, chargeId = c1, now = t(0)): WalletCharged => ({
  type: 'WalletCharged',
  data: { userId, chargeId, amount, balanceAfter, chargedAt: now.toISOString() },
});
const debit = (amount: number, paymentId = p1): DebitWallet => ({
  type: 'DebitWallet',
  userId,
  paymentId,
  reservationId,
  amount,
  now: t(10),
});
const debited = (amount: number, balanceAfter: number, paymentId = p1): WalletDebited => ({
  type: 'WalletDebited',
  data: { userId, paymentId, reservationId, amount, balanceAfter, debitedAt: t(10).toISOString() },
});
const refunded = (amount: number, balanceAfter: number, paymentId = p1): WalletRefunded => ({
  type: 'WalletRefunded',
  data: { userId, paymentId, amount, balanceAfter, refundedAt: t(20).toISOString() },
});

describe('wallet decider', () => {
  describe('ChargeWallet', () => {
    it('charges a new wallet', () => {
      given([])
        .when(charge(50_000))
        .then([charged(50_000, 50_000)]);
    });

    it('adds to the balance', () => {
      given([charged(50_000, 50_000)])
        .when(charge(20_000, c2, t(5)))
        .then([charged(20_000, 70_000, c2, t(5))]);
    });

    it('refuses zero and negative amounts as not positive', () => {
      given([]).when(charge(0)).thenThrows(ErrorCode.AmountNotPositive);
      given([]).when(charge(-1)).thenThrows(ErrorCode.AmountNotPositive);
    });

    it('refuses fractions, non-numbers and amounts past the per-charge maximum', () => {
      for (const amount of [0.5, 1000.01, '1000', '1e9', null, undefined, Number.NaN, Infinity, MAX + 1]) {
        given([]).when(charge(amount)).thenThrows(ErrorCode.InvalidAmount);
      }
      given([])
        .when(charge(MAX))
        .then([charged(MAX, MAX)]);
    });

    it('replays a charge id (Idempotency-Key) without charging twice', () => {
      given([charged(50_000, 50_000)])
        .when(charge(50_000))
        .thenNothing();
    });

    it('refuses a charge id reused for another amount', () => {
      given([charged(50_000, 50_000)])
        .when(charge(60_000))
        .thenThrows(ErrorCode.IdempotencyKeyReused);
    });

    it('never lets a balance grow past what a JSON number holds exactly', () => {
      const near = Number.MAX_SAFE_INTEGER - 5;
      given([charged(near, near, c2)])
        .when(charge(10))
        .thenThrows(ErrorCode.InvalidAmount);
    });
  });

  describe('DebitWallet', () => {
    it('debits a covered amount, down to zero', () => {
      given([charged(200_000, 200_000)])
        .when(debit(150_000))
        .then([debited(150_000, 50_000)]);
      given([charged(150_000, 150_000)])
        .when(debit(150_000))
        .then([debited(150_000, 0)]);
    });

    it('refuses to go negative', () => {
      given([charged(100_000, 100_000)])
        .when(debit(150_000))
        .thenThrows(ErrorCode.InsufficientBalance);
      given([]).when(debit(1)).thenThrows(ErrorCode.InsufficientBalance);
    });

    it('debits a payment once, even after its refund', () => {
      given([charged(200_000, 200_000), debited(150_000, 50_000)])
        .when(debit(150_000))
        .thenNothing();
      given([charged(200_000, 200_000), debited(150_000, 50_000), refunded(150_000, 200_000)])
        .when(debit(150_000))
        .thenNothing();
    });

    it('refuses a malformed debit amount', () => {
      given([charged(200_000, 200_000)])
        .when(debit(1.5))
        .thenThrows(ErrorCode.InvalidAmount);
      given([charged(200_000, 200_000)])
        .when(debit(-1))
        .thenThrows(ErrorCode.InvalidAmount);
    });
  });

  describe('RefundWallet', () => {
    const refund = { type: 'RefundWallet' as const, userId, paymentId: p1, now: t(20) };

    it('gives back exactly what the payment debited', () => {
      given([charged(200_000, 200_000), debited(150_000, 50_000)])
        .when(refund)
        .then([refunded(150_000, 200_000)]);
    });

    it('refunds once', () => {
      given([charged(200_000, 200_000), debited(150_000, 50_000), refunded(150_000, 200_000)])
        .when(refund)
        .thenNothing();
    });

    it('refunds nothing that was never debited', () => {
      given([charged(200_000, 200_000)])
        .when(refund)
        .thenNothing();
    });
  });
});
