import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { PaymentReply } from '@concert/contracts';
import { BookingRuntime } from './booking.runtime';
import { withIdempotencyKey } from './idempotency';
import { PaymentSaga } from './payment.saga';
import { ownReservation } from './reservation.handlers';

export class PayCommand {
  constructor(
    readonly userId: string,
    readonly reservationId: string,
    readonly idempotencyKey?: string,
  ) {}
}

@CommandHandler(PayCommand)
export class PayHandler implements ICommandHandler<PayCommand, PaymentReply> {
  constructor(
    private readonly runtime: BookingRuntime,
    private readonly saga: PaymentSaga,
  ) {}

  async execute({ userId, reservationId, idempotencyKey }: PayCommand): Promise<PaymentReply> {
    // A reservation that is unknown or someone else's is refused before a key is claimed: refusals write nothing.
    ownReservation(this.runtime, reservationId, userId);
    return withIdempotencyKey(this.runtime.store, userId, idempotencyKey, { reservationId }, this.runtime.clock.now(), () =>
      this.saga.pay(userId, reservationId),
    );
  }
}
