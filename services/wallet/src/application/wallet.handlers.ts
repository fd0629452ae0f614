import { createHash } from 'node:crypto';
import { randomUUID } from 'node:crypto';
import { CommandHandler, ICommandHandler, IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { BalanceReply, ChargeReply, DomainError, ErrorCode, walletStream, WalletMovementReply } from '@concert/contracts';
import { EventRef, execute, rethrowRequiredEventMissing } from '@concert/event-store';
import { isUuid } from '@concert/platform';
import { walletDecider } from '../domain/wallet.decider';
import { WalletRuntime } from './wallet.runtime';

/** A stable id for a charge made under an Idempotency-Key, so a replay finds the first one. */
export function chargeIdFor(userId: string, idempotencyKey: string): string {
  const h = createHash('sha256').update(`${userId}\n${idempotencyKey}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export class GetBalanceQuery {
  constructor(readonly userId: string) {}
}

@QueryHandler(GetBalanceQuery)
export class GetBalanceHandler implements IQueryHandler<GetBalanceQuery, BalanceReply> {
  constructor(private readonly runtime: WalletRuntime) {}

  async execute({ userId }: GetBalanceQuery): Promise<BalanceReply> {
    if (!isUuid(userId)) throw new DomainError(ErrorCode.InvalidUserId);
    return { userId, balance: this.runtime.balances.get(userId) ?? 0 };
  }
}

export class ChargeWalletCommand {
  constructor(
    readonly userId: string,
    readonly amount: number,
    readonly idempotencyKey?: string,
  ) {}
}

@CommandHandler(ChargeWalletCommand)
export class ChargeWalletHandler implements ICommandHandler<ChargeWalletCommand, ChargeReply> {
  constructor(private readonly runtime: WalletRuntime) {}

  async execute({ userId, amount, idempotencyKey }: ChargeWalletCommand): Promise<ChargeReply> {
    if (!isUuid(userId)) throw new DomainError(ErrorCode.InvalidUserId);
    const chargeId = idempotencyKey ? chargeIdFor(userId, idempotencyKey) : randomUUID();
    return this.runtime.userLocks.run(userId, async () => {
      const now = this.runtime.clock.now();
      const result = await execute(
        this.runtime.store,
        walletStream(userId),
        walletDecider,
        { type: 'ChargeWallet', userId, chargeId, amount, maxAmount: this.runtime.config.maxChargeAmount, now },
        // A user with no balance has no wallet stream yet: the first charge is written without reading it.
        { now, likelyNew: !this.runtime.balances.has(userId) },
      );
      if (result.appended) await this.runtime.catchUp(result.appended.position);
      const charge = result.state.charges.get(chargeId);
      if (!charge) throw new DomainError(ErrorCode.Internal, 'Charge was not recorded');
      return { userId, chargedAmount: charge.amount, balance: charge.balanceAfter, chargedAt: charge.chargedAt };
    });
  }
}

export class DebitWalletCommand {
  constructor(
    readonly userId: string,
    readonly paymentId: string,
    readonly reservationId: string,
    readonly amount: number,
    /** Debit only if this event (the payment's start) is stored first: see DebitRequest.after. */
    readonly after?: EventRef,
    /** The debit event's id, chosen by the caller: see DebitRequest.eventId. */
    readonly eventId?: string,
  ) {}
}

@CommandHandler(DebitWalletCommand)
export class DebitWalletHandler implements ICommandHandler<DebitWalletCommand, WalletMovementReply> {
  constructor(private readonly runtime: WalletRuntime) {}

  async execute(c: DebitWalletCommand): Promise<WalletMovementReply> {
    return this.runtime.userLocks.run(c.userId, async () => {
      const now = this.runtime.clock.now();
      const result = await execute(
        this.runtime.store,
        walletStream(c.userId),
        walletDecider,
        { type: 'DebitWallet', userId: c.userId, paymentId: c.paymentId, reservationId: c.reservationId, amount: c.amount, now },
        { now, after: c.after, eventIds: c.eventId === undefined ? undefined : () => c.eventId! },
      ).catch(rethrowRequiredEventMissing);
      if (result.appended) await this.runtime.catchUp(result.appended.position);
      return { userId: c.userId, paymentId: c.paymentId, amount: c.amount, balance: result.state.balance };
    });
  }
}

export class RefundWalletCommand {
  constructor(
    readonly userId: string,
    readonly paymentId: string,
  ) {}
}

@CommandHandler(RefundWalletCommand)
export class RefundWalletHandler implements ICommandHandler<RefundWalletCommand, WalletMovementReply> {
  constructor(private readonly runtime: WalletRuntime) {}

  async execute(c: RefundWalletCommand): Promise<WalletMovementReply> {
    return this.runtime.userLocks.run(c.userId, async () => {
      const now = this.runtime.clock.now();
      const result = await execute(
        this.runtime.store,
        walletStream(c.userId),
        walletDecider,
        { type: 'RefundWallet', userId: c.userId, paymentId: c.paymentId, now },
        { now },
      );
      if (result.appended) await this.runtime.catchUp(result.appended.position);
      const debit = result.state.debits.get(c.paymentId);
      return { userId: c.userId, paymentId: c.paymentId, amount: debit?.amount ?? 0, balance: result.state.balance };
    });
  }
}
