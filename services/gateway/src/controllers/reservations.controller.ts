import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req, UseGuards } from '@nestjs/common';
import { BookingPatterns, ReservationView } from '@concert/contracts';
import { MESSAGE_BUS, MessageBus } from '@concert/bus';
import { dateValue, objectBody, positiveInteger, reservationIdValue } from '../http/input';
import { AllowReplayAfterPayment, AuthedRequest, RequireToken, TokenGuard } from '../http/token.guard';

@Controller('reservations')
@UseGuards(TokenGuard)
@RequireToken('active')
export class ReservationsController {
  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  @Post()
  @HttpCode(201)
  hold(@Req() req: AuthedRequest, @Body() raw: unknown): Promise<ReservationView> {
    const body = objectBody(raw);
    const concertId = positiveInteger(body.concertId, 'concertId');
    const date = dateValue(body.date);
    const seatNumber = positiveInteger(body.seatNumber, 'seatNumber');
    return this.bus.request(BookingPatterns.holdSeat, { userId: req.caller!.userId, concertId, date, seatNumber });
  }

  @Get(':reservationId')
  @AllowReplayAfterPayment()
  get(@Req() req: AuthedRequest, @Param('reservationId') id: string): Promise<ReservationView> {
    return this.bus.request(BookingPatterns.getReservation, {
      userId: req.caller!.userId,
      reservationId: reservationIdValue(id),
    });
  }

  @Delete(':reservationId')
  cancel(@Req() req: AuthedRequest, @Param('reservationId') id: string): Promise<ReservationView> {
    return this.bus.request(BookingPatterns.cancelReservation, {
      userId: req.caller!.userId,
      reservationId: reservationIdValue(id),
    });
  }
}
