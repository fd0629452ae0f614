import { Body, Controller, Headers, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { BookingPatterns, DomainError, ErrorCode, SeatSpec } from '@concert/contracts';
import { MESSAGE_BUS, MessageBus } from '@concert/bus';
import { AppConfig, CONFIG } from '@concert/platform';
import { validation } from '../http/http-error';
import { concertIdParam, dateValue, objectBody, positiveInteger } from '../http/input';

/** Catalog administration: on only when ADMIN_API_KEY is set, and then only with `X-Admin-Key`. */
@Controller('admin')
export class AdminController {
  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  private authorize(key: string | undefined): void {
    const expected = this.config.adminApiKey;
    if (!expected) throw new DomainError(ErrorCode.AdminDisabled, 'Admin API is disabled (ADMIN_API_KEY is not set)');
    const given = Buffer.from(key ?? '');
    const want = Buffer.from(expected);
    if (given.length !== want.length || !timingSafeEqual(given, want)) throw new DomainError(ErrorCode.AdminKeyInvalid);
  }

  @Post('concerts')
  @HttpCode(201)
  createConcert(@Headers('x-admin-key') key: string | undefined, @Body() raw: unknown) {
    this.authorize(key);
    const body = objectBody(raw);
    const concertId = positiveInteger(body.concertId, 'concertId');
    if (typeof body.title !== 'string' || body.title.trim() === '' || body.title.length > 200) {
      throw validation('title must be a non-empty string of at most 200 characters');
    }
    return this.bus.request(BookingPatterns.createConcert, { concertId, title: body.title.trim() });
  }

  @Post('concerts/:concertId/schedules')
  @HttpCode(201)
  addSchedule(@Headers('x-admin-key') key: string | undefined, @Param('concertId') id: string, @Body() raw: unknown) {
    this.authorize(key);
    const concertId = concertIdParam(id);
    const body = objectBody(raw);
    const date = dateValue(body.date);
    if (!Array.isArray(body.seats) || body.seats.length === 0 || body.seats.length > 10_000) {
      throw validation('seats must be a list of 1 to 10000 seats');
    }
    const seats: SeatSpec[] = body.seats.map((s: unknown) => {
      const seat = objectBody(s);
      return { seatNumber: positiveInteger(seat.seatNumber, 'seatNumber'), price: positiveInteger(seat.price, 'price') };
    });
    return this.bus.request(BookingPatterns.addSchedule, { concertId, date, seats });
  }
}
