import {
  DomainEvent,
  NewEvent,
  QUEUE_ADMISSION_STREAM,
  concertStream,
  paymentStream,
  queueUserStream,
  seatStream,
  walletStream,
} from '@concert/contracts';
import { envelope, EventStore } from '@concert/event-store';
import { mulberry32 } from '@concert/platform';

/** The size of the spec's synthetic log. */
export const AUDIT_SPEC_EVENTS = 200_000;

export interface SyntheticOptions {
  /** At least this many events are written (the last purchases in flight are finished). */
  events: number;
  /** Purchases in flight at once (each holds one ACTIVE token). */
  concurrency?: number;
  users?: number;
  seed?: number;
  start?: Date;
  /** Appends handed to the store at once (one group commit). */
  batch?: number;
}

/** What a correct audit of the generated log must find. */
export interface SyntheticSummary {
  events: number;
  streams: number;
  seatsSold: number;
  charged: number;
  debited: number;
  refunded: number;
  balances: Map<string, number>;
  peakActive: number;
  upcastEvents: number;
}

type Step = () => void;

/**
 * Writes a plausible, rule-abiding history: concerts, then overlapping purchases (token, charge,
 * hold, then pay, cancel, let expire, lose the race and get refunded, or fail for lack of money).
 * Deterministic for a seed, apart from event ids.
 */
export async function writeSyntheticLog(store: EventStore, options: SyntheticOptions): Promise<SyntheticSummary> {
  const concurrency = options.concurrency ?? 20;
  const userCount = options.users ?? 2000;
  const batchSize = options.batch ?? 4000;
  const random = mulberry32(options.seed ?? 42);
  let clock = (options.start ?? new Date('2026-01-01T00:00:00Z')).getTime();
  const summary: SyntheticSummary = {
    events: 0,
    streams: 0,
    seatsSold: 0,
    charged: 0,
    debited: 0,
    refunded: 0,
    balances: new Map(),
    peakActive: 0,
    upcastEvents: 0,
  };
  const streams = new Set<string>();
  let pending: Promise<unknown>[] = [];
  let serial = 0;
  let purchases = 0;

  const flush = async (): Promise<void> => {
    const batch = pending;
    pending = [];
    await Promise.all(batch);
  };
  const emit = (streamId: string, event: DomainEvent, tweak?: (e: NewEvent) => void): void => {
    clock += 20 + Math.floor(random() * 60);
    const [stored] = envelope([event], new Date(clock), { correlationId: `synthetic-${serial++}` });
    tweak?.(stored);
    pending.push(store.append(streamId, [stored], 'any'));
    streams.add(streamId);
    summary.events++;
  };
  const iso = (ms: number): string => new Date(ms).toISOString();

  const seatsPerDate = 100;
  const datesPerConcert = 10;
  const seatsNeeded = Math.ceil(options.events / 8);
  const concerts = Math.ceil(seatsNeeded / (seatsPerDate * datesPerConcert)) + 1;
  const freeSeats: { concertId: number; date: string; seatNumber: number; price: number }[] = [];
  for (let concertId = 1; concertId <= concerts; concertId++) {
    emit(concertStream(concertId), {
      type: 'ConcertCreated',
      data: { concertId, title: `Concert ${concertId}`, createdAt: iso(clock) },
    });
    for (let d = 0; d < datesPerConcert; d++) {
      const date = iso(Date.UTC(2027, 0, 1 + d * 3 + concertId)).slice(0, 10);
      const seats = Array.from({ length: seatsPerDate }, (_, i) => ({ seatNumber: i + 1, price: (1 + (i % 3)) * 50_000 }));
      emit(concertStream(concertId), { type: 'ScheduleAdded', data: { concertId, date, seats, addedAt: iso(clock) } });
      for (const s of seats) freeSeats.push({ concertId, date, ...s });
    }
  }
  freeSeats.reverse();
  await flush();

  const busyUsers = new Set<string>();
  const users = Array.from({ length: userCount }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
  const balance = (u: string): number => summary.balances.get(u) ?? 0;
  let active = 0;

  const purchase = (userId: string): Step[] => {
    const n = purchases++;
    const tokenId = `tok-${n}`;
    const reservationId = `res-${n}`;
    const paymentId = `pay-${n}`;
    const seat = freeSeats.pop()!;
    const seatId = seatStream(seat.concertId, seat.date, seat.seatNumber);
    const roll = random();
    const outcome = roll < 0.72 ? 'paid' : roll < 0.8 ? 'cancelled' : roll < 0.88 ? 'expired' : roll < 0.94 ? 'refunded' : 'poor';
    let expiresAt = 0;
    const steps: Step[] = [
      () => emit(queueUserStream(userId), { type: 'TokenIssued', data: { tokenId, userId, issuedAt: iso(clock) } }),
      () => {
        active++;
        summary.peakActive = Math.max(summary.peakActive, active);
        emit(QUEUE_ADMISSION_STREAM, {
          type: 'TokenActivated',
          data: { tokenId, userId, activatedAt: iso(clock), expiresAt: iso(clock + 600_000) },
        });
      },
    ];
    if (outcome !== 'poor' && balance(userId) < seat.price) {
      steps.push(() => {
        const amount = 500_000;
        summary.balances.set(userId, balance(userId) + amount);
        summary.charged += amount;
        emit(walletStream(userId), {
          type: 'WalletCharged',
          data: { userId, chargeId: `chg-${n}`, amount, balanceAfter: balance(userId), chargedAt: iso(clock) },
        });
      });
    }
    steps.push(() => {
      const ttl = outcome === 'paid' || outcome === 'cancelled' ? 300_000 : 2_000;
      expiresAt = clock + 100 + ttl;
      emit(seatId, {
        type: 'SeatHeld',
        data: { reservationId, userId, ...seat, heldAt: iso(clock + 100), expiresAt: iso(expiresAt) },
      });
    });
    const started = (): void =>
      emit(paymentStream(reservationId), {
        type: 'PaymentStarted',
        data: { paymentId, reservationId, userId, amount: seat.price, seatStreamId: seatId, startedAt: iso(clock) },
      });
    const debited = (): void => {
      summary.balances.set(userId, balance(userId) - seat.price);
      summary.debited += seat.price;
      emit(walletStream(userId), {
        type: 'WalletDebited',
        data: { userId, paymentId, reservationId, amount: seat.price, balanceAfter: balance(userId), debitedAt: iso(clock) },
      });
    };
    const expired = (): void => {
      clock = Math.max(clock, expiresAt + 100);
      freeSeats.push(seat);
      emit(seatId, {
        type: 'SeatHoldExpired',
        data: { reservationId, userId, expiresAt: iso(expiresAt), expiredAt: iso(clock) },
      });
    };
    switch (outcome) {
      case 'paid':
        steps.push(started, debited, () => {
          summary.seatsSold++;
          emit(seatId, { type: 'SeatSold', data: { reservationId, userId, paymentId, price: seat.price, soldAt: iso(clock) } });
        });
        steps.push(() =>
          emit(paymentStream(reservationId), {
            type: 'PaymentCompleted',
            data: { paymentId, reservationId, userId, amount: seat.price, paidAt: iso(clock) },
          }),
        );
        break;
      case 'cancelled':
        steps.push(() => {
          freeSeats.push(seat);
          emit(seatId, { type: 'SeatHoldCancelled', data: { reservationId, userId, cancelledAt: iso(clock) } });
        });
        break;
      case 'expired':
        steps.push(expired);
        break;
      case 'refunded':
        steps.push(started, debited, expired, () => {
          summary.balances.set(userId, balance(userId) + seat.price);
          summary.refunded += seat.price;
          emit(walletStream(userId), {
            type: 'WalletRefunded',
            data: { userId, paymentId, amount: seat.price, balanceAfter: balance(userId), refundedAt: iso(clock) },
          });
        });
        steps.push(() =>
          emit(paymentStream(reservationId), {
            type: 'PaymentRefunded',
            data: { paymentId, reservationId, amount: seat.price, refundedAt: iso(clock) },
          }),
        );
        break;
      case 'poor':
        steps.push(started, () =>
          emit(paymentStream(reservationId), {
            type: 'PaymentFailed',
            data: { paymentId, reservationId, reason: 'INSUFFICIENT_BALANCE', failedAt: iso(clock) },
          }),
        );
        steps.push(() => {
          clock = Math.max(clock, expiresAt + 100);
          freeSeats.push(seat);
          emit(seatId, {
            type: 'SeatHoldExpired',
            data: { reservationId, userId, expiresAt: iso(expiresAt), expiredAt: iso(clock) },
          });
        });
        break;
    }
    steps.push(() => {
      active--;
      busyUsers.delete(userId);
      const reason = outcome === 'paid' ? 'PAID' : 'ACTIVE_TTL';
      // Half the TTL expiries are written in the old v1 shape (no reason) to exercise the upcaster.
      const legacy = reason === 'ACTIVE_TTL' && random() < 0.5;
      if (legacy) summary.upcastEvents++;
      emit(queueUserStream(userId), { type: 'TokenExpired', data: { tokenId, userId, reason, expiredAt: iso(clock) } }, (e) => {
        if (!legacy) return;
        e.version = 1;
        delete (e.data as { reason?: string }).reason;
      });
    });
    return steps;
  };

  const sessions: Step[][] = [];
  let cursor = 0;
  while (summary.events < options.events || sessions.length > 0) {
    while (summary.events < options.events && sessions.length < concurrency) {
      let userId = users[Math.floor(random() * users.length)];
      while (busyUsers.has(userId)) userId = users[(users.indexOf(userId) + 1) % users.length];
      busyUsers.add(userId);
      sessions.push(purchase(userId));
    }
    cursor = Math.floor(random() * sessions.length);
    const session = sessions[cursor];
    session.shift()!();
    if (session.length === 0) sessions.splice(cursor, 1);
    if (pending.length >= batchSize) await flush();
  }
  await flush();
  summary.streams = streams.size;
  return summary;
}
