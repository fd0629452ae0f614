import { Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { seatStream } from '@concert/contracts';
import { execute } from '@concert/event-store';
import { seatDecider } from '../domain/seat.decider';
import { ReservationRecord } from '../read-model/booking-view';
import { BookingRuntime } from './booking.runtime';

const INTERVAL_MS = 500;

/**
 * Records `SeatHoldExpired` for every hold past its deadline. Reads never wait for it (they
 * apply the clock); it keeps the log true. It starts from the read model, so after a crash
 * every hold that is still open is found again.
 */
@Injectable()
export class HoldExpiryProcess implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(private readonly runtime: BookingRuntime) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.sweep(), INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  /** One pass; returns how many expiries it recorded. A hold that fails is retried next pass, the others go on. */
  async sweep(): Promise<number> {
    if (this.running) return 0;
    this.running = true;
    let recorded = 0;
    try {
      const now = this.runtime.clock.now();
      const due = [...this.runtime.view.openHolds]
        .map((id) => this.runtime.view.reservations.get(id))
        .filter((r): r is ReservationRecord => r !== undefined && now.getTime() >= r.expiresAtMs);
      for (const r of due) {
        try {
          if (await this.expire(r, now)) recorded++;
        } catch (err) {
          this.runtime.logger.error(`hold expiry of ${r.reservationId} failed: ${(err as Error).message}`);
        }
      }
    } finally {
      this.running = false;
    }
    return recorded;
  }

  private async expire(r: ReservationRecord, now: Date): Promise<boolean> {
    const stream = seatStream(r.concertId, r.date, r.seatNumber);
    const result = await this.runtime.locks.run(stream, () =>
      execute(this.runtime.store, stream, seatDecider, { type: 'ExpireHold', reservationId: r.reservationId, now }, { now }),
    );
    if (!result.appended) return false;
    await this.runtime.catchUp(result.appended.position);
    return true;
  }
}
