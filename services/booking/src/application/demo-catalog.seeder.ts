import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { DomainError, ErrorCode, SeatSpec } from '@concert/contracts';
import { CommandBus } from '@nestjs/cqrs';
import { BookingRuntime } from './booking.runtime';
import { AddScheduleCommand, CreateConcertCommand } from './catalog.handlers';

export const DEMO_CONCERT_ID = 1;
export const DEMO_SEAT_COUNT = 50;

/** Tiered prices in whole KRW: VIP 1–10, R 11–30, S 31–50. */
export function demoSeats(): SeatSpec[] {
  return Array.from({ length: DEMO_SEAT_COUNT }, (_, i) => {
    const seatNumber = i + 1;
    const price = seatNumber <= 10 ? 150_000 : seatNumber <= 30 ? 110_000 : 80_000;
    return { seatNumber, price };
  });
}

/** Dates 7, 14 and 21 days from `now` (UTC). */
export function demoDates(now: Date): string[] {
  return [7, 14, 21].map((days) => new Date(now.getTime() + days * 86_400_000).toISOString().slice(0, 10));
}

/** On an empty store, seeds concert 1 so a fresh `npm start` can sell tickets (SEED_DEMO=false turns it off). */
@Injectable()
export class DemoCatalogSeeder implements OnApplicationBootstrap {
  constructor(
    private readonly runtime: BookingRuntime,
    private readonly commands: CommandBus,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.catchUp();
    if (!this.runtime.config.seedDemo || !this.runtime.view.isEmpty()) return;
    try {
      await this.commands.execute(new CreateConcertCommand(DEMO_CONCERT_ID, 'Demo Concert'));
      for (const date of demoDates(this.runtime.clock.now())) {
        await this.commands.execute(new AddScheduleCommand(DEMO_CONCERT_ID, date, demoSeats()));
      }
      this.runtime.logger.log(`seeded demo concert ${DEMO_CONCERT_ID}`);
    } catch (err) {
      // Another instance seeded it first.
      if (!DomainError.is(err, ErrorCode.ConcertAlreadyExists) && !DomainError.is(err, ErrorCode.ScheduleAlreadyExists)) throw err;
    }
  }
}
