import { Controller, Get, Inject, Param, Query, UseGuards } from '@nestjs/common';
import { AvailableDatesReply, AvailableSeatsReply, BookingPatterns } from '@concert/contracts';
import { MESSAGE_BUS, MessageBus } from '@concert/bus';
import { concertIdParam, dateValue } from '../http/input';
import { RequireToken, TokenGuard } from '../http/token.guard';

@Controller('concerts')
@UseGuards(TokenGuard)
@RequireToken('active')
export class ConcertsController {
  constructor(@Inject(MESSAGE_BUS) private readonly bus: MessageBus) {}

  @Get(':concertId/available-dates')
  dates(@Param('concertId') concertId: string): Promise<AvailableDatesReply> {
    return this.bus.request(BookingPatterns.availableDates, { concertId: concertIdParam(concertId) });
  }

  @Get(':concertId/available-seats')
  seats(@Param('concertId') concertId: string, @Query('date') date: unknown): Promise<AvailableSeatsReply> {
    return this.bus.request(BookingPatterns.availableSeats, { concertId: concertIdParam(concertId), date: dateValue(date) });
  }
}
