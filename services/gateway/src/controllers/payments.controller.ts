import { Body, Controller, Headers, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';
import { BookingPatterns, PaymentReply } from '@concert/contracts';
import { MESSAGE_BUS, MessageBus } from '@concert/bus';
import { idempotencyKey, objectBody, reservationIdValue } from '../http/input';
import { AllowReplayAfterPayment, AuthedRequest, RequireToken, TokenGuard } from '../http/token.guard';

@Controller('payments')
@UseGuards(TokenGuard)
@RequireToken('active')
export class PaymentsController {
  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  @Post()
  @HttpCode(200)
  @AllowReplayAfterPayment()
  pay(@Req() req: AuthedRequest, @Body() raw: unknown, @Headers('idempotency-key') key?: string): Promise<PaymentReply> {
    const reservationId = reservationIdValue(objectBody(raw).reservationId);
    return this.bus.request(BookingPatterns.pay, {
      userId: req.caller!.userId,
      reservationId,
      idempotencyKey: idempotencyKey(key),
      replayOnly: req.caller!.replayOnly,
    });
  }
}
