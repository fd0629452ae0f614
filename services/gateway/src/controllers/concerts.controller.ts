import { Controller, Get, Header, Inject, Param, Query, UseGuards } from '@nestjs/common';
import { AvailableDatesReply, AvailableSeatsReply, BookingPatterns, SeatSpec } from '@concert/contracts';
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

  /** The body, serialized once per free list: the read model hands out one list until a seat of that date changes. */
  @Get(':concertId/available-seats')
  @Header('content-type', 'application/json; charset=utf-8')
  async seats(@Param('concertId') concertId: string, @Query('date') date: unknown): Promise<string> {
    const reply = await this.bus.request<AvailableSeatsReply>(BookingPatterns.availableSeats, {
      concertId: concertIdParam(concertId),
      date: dateValue(date),
    });
    return serializedSeats(reply);
  }
}

const seatBodies = new WeakMap<readonly SeatSpec[], { concertId: number; date: string; body: string }>();

/** JSON of a seats reply, reused while its free list (the same array) is handed out again. */
export function serializedSeats(reply: AvailableSeatsReply): string {
  const known = seatBodies.get(reply.seats);
  if (known && known.concertId === reply.concertId && known.date === reply.date) return known.body;
  const body = JSON.stringify(reply);
  seatBodies.set(reply.seats, { concertId: reply.concertId, date: reply.date, body });
  return body;
}
