import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { DomainError, ErrorCode, PaymentReply } from '@concert/contracts';
import { BookingRuntime } from './booking.runtime';
import { recordedAnswer, withIdempotencyKey } from './idempotency';
import { PaymentSaga } from './payment.saga';
import { ownReservation } from './reservation.handlers';

export class PayCommand {
  constructor(
    readonly userId: string,
    readonly reservationId: string,
    readonly idempotencyKey?: string,
    /** The caller's queue token ended with a payment: replay an answer already given, do nothing new. */
    readonly replayOnly = false,
  ) {}
}

@CommandHandler(PayCommand)
export class PayHandler implements ICommandHandler<PayCommand, PaymentReply> {
  constructor(
    private readonly runtime: BookingRuntime,
    private readonly saga: PaymentSaga,
  ) {}

  async execute({ userId, reservationId, idempotencyKey, replayOnly }: PayCommand): Promise<PaymentReply> {
    // A reservation that is unknown or someone else's is refused before a key is claimed: refusals write nothing.
    ownReservation(this.runtime, reservationId, userId);
    if (replayOnly) return this.replay(userId, reservationId, idempotencyKey);
    return withIdempotencyKey(this.runtime.store, userId, idempotencyKey, { reservationId }, this.runtime.clock.now(), () =>
      this.saga.pay(userId, reservationId),
    );
  }

  /** A buyer whose token ended with a payment may only hear again what was already answered. */
  private async replay(userId: string, reservationId: string, idempotencyKey?: string): Promise<PaymentReply> {
    const recorded =
      idempotencyKey && (await recordedAnswer<PaymentReply>(this.runtime.store, userId, idempotencyKey, { reservationId }));
    if (recorded) return recorded.answer();
    const completed = await this.saga.completedReply(reservationId);
    if (completed) return completed;
    throw new DomainError(ErrorCode.TokenNotActive);
  }
}
