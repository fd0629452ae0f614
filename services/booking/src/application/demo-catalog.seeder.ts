import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { CatalogEvent, concertStream, SeatSpec } from '@concert/contracts';
import { envelope, WrongExpectedRevisionError } from '@concert/event-store';
import { CatalogCommand, catalogDecider } from '../domain/catalog.decider';
import { BookingRuntime } from './booking.runtime';

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

/**
 * On an empty store, seeds concert 1 so a fresh `npm start` can sell tickets (SEED_DEMO=false
 * turns it off). The concert and its dates go in one append: a crash mid-seed leaves nothing,
 * and the next boot seeds the whole catalog instead of skipping a half-made one.
 */
@Injectable()
export class DemoCatalogSeeder implements OnApplicationBootstrap {
  constructor(private readonly runtime: BookingRuntime) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.catchUp();
    if (!this.runtime.config.seedDemo || !this.runtime.view.isEmpty()) return;
    const now = this.runtime.clock.now();
    const commands: CatalogCommand[] = [
      { type: 'CreateConcert', concertId: DEMO_CONCERT_ID, title: 'Demo Concert', now },
      ...demoDates(now).map((date): CatalogCommand => ({
        type: 'AddSchedule',
        concertId: DEMO_CONCERT_ID,
        date,
        seats: demoSeats(),
        now,
      })),
    ];
    let state = catalogDecider.initialState();
    const events: CatalogEvent[] = [];
    for (const command of commands) {
      const decided = catalogDecider.decide(command, state);
      state = decided.reduce(catalogDecider.evolve, state);
      events.push(...decided);
    }
    try {
      const appended = await this.runtime.store.append(concertStream(DEMO_CONCERT_ID), envelope(events, now), 'no_stream');
      await this.runtime.catchUp(appended.position);
      this.runtime.logger.log(`seeded demo concert ${DEMO_CONCERT_ID}`);
    } catch (err) {
      // Another instance seeded it first.
      if (!(err instanceof WrongExpectedRevisionError)) throw err;
    }
  }
}
