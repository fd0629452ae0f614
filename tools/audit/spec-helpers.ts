import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  concertStream,
  DomainEvent,
  NewEvent,
  paymentStream,
  QUEUE_ADMISSION_STREAM,
  queueUserStream,
  seatStream,
  walletStream,
} from '@concert/contracts';
import { envelope, SqliteEventStore } from '@concert/event-store';
import { EVENTS_FILE } from './readers/sqlite-reader';

/** A SQLite event store in a temp dir, written directly (behind the services' back), with a hand-driven clock. */
export class TestLog {
  readonly store: SqliteEventStore;
  private nowMs: number;

  private constructor(
    readonly dataDir: string,
    start: string,
  ) {
    this.store = new SqliteEventStore(join(dataDir, EVENTS_FILE));
    this.nowMs = Date.parse(start);
  }

  static create(start = '2026-03-01T10:00:00.000Z'): TestLog {
    return new TestLog(mkdtempSync(join(tmpdir(), 'concert-audit-')), start);
  }

  get now(): Date {
    return new Date(this.nowMs);
  }

  iso(offsetMs = 0): string {
    return new Date(this.nowMs + offsetMs).toISOString();
  }

  advance(ms: number): this {
    this.nowMs += ms;
    return this;
  }

  /** Appends events to one stream at the current time; returns them with their ids. */
  async append(streamId: string, ...events: DomainEvent[]): Promise<NewEvent[]> {
    const enveloped = envelope(events, this.now);
    await this.store.append(streamId, enveloped, 'any');
    return enveloped;
  }

  async appendRaw(streamId: string, events: NewEvent[]): Promise<void> {
    await this.store.append(streamId, events, 'any');
  }

  async dispose(): Promise<void> {
    await this.store.close();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** Captures what main() writes. */
export function captureIo(): {
  io: { stdout: { write(s: string): boolean }; stderr: { write(s: string): boolean } };
  out: () => string;
  err: () => string;
} {
  let out = '';
  let err = '';
  return {
    io: {
      stdout: { write: (s: string) => ((out += s), true) },
      stderr: { write: (s: string) => ((err += s), true) },
    },
    out: () => out,
    err: () => err,
  };
}

export interface TestHold {
  reservationId: string;
  userId: string;
  seatStream: string;
  price: number;
  event: NewEvent;
}

let counter = 0;
const nextId = (prefix: string): string => `${prefix}-${++counter}`;

/** Writes the events the services would write for each step, keeping balances so balanceAfter is right. */
export class Story {
  readonly balances = new Map<string, number>();
  readonly concertId = 1;
  readonly date = '2027-01-01';

  constructor(readonly log: TestLog) {}

  async catalog(seats = 20, price = 80_000): Promise<void> {
    const { concertId, date } = this;
    await this.log.append(concertStream(concertId), {
      type: 'ConcertCreated',
      data: { concertId, title: 'Audit Night', createdAt: this.log.iso() },
    });
    await this.log.append(concertStream(concertId), {
      type: 'ScheduleAdded',
      data: {
        concertId,
        date,
        seats: Array.from({ length: seats }, (_, i) => ({ seatNumber: i + 1, price })),
        addedAt: this.log.iso(),
      },
    });
  }

  async token(userId: string): Promise<{ tokenId: string; activated: NewEvent }> {
    const tokenId = await this.issue(userId);
    return { tokenId, activated: await this.activate(userId, tokenId) };
  }

  async issue(userId: string): Promise<string> {
    const tokenId = nextId('tok');
    this.log.advance(10);
    await this.log.append(queueUserStream(userId), { type: 'TokenIssued', data: { tokenId, userId, issuedAt: this.log.iso() } });
    return tokenId;
  }

  async activate(userId: string, tokenId: string): Promise<NewEvent> {
    this.log.advance(10);
    const [activated] = await this.log.append(QUEUE_ADMISSION_STREAM, {
      type: 'TokenActivated',
      data: { tokenId, userId, activatedAt: this.log.iso(), expiresAt: this.log.iso(600_000) },
    });
    return activated;
  }

  async expireToken(userId: string, tokenId: string, reason = 'PAID'): Promise<NewEvent> {
    this.log.advance(10);
    const [e] = await this.log.append(queueUserStream(userId), {
      type: 'TokenExpired',
      data: { tokenId, userId, reason, expiredAt: this.log.iso() },
    });
    return e;
  }

  async charge(userId: string, amount: number): Promise<NewEvent> {
    this.log.advance(10);
    const balanceAfter = (this.balances.get(userId) ?? 0) + amount;
    this.balances.set(userId, balanceAfter);
    const [e] = await this.log.append(walletStream(userId), {
      type: 'WalletCharged',
      data: { userId, chargeId: nextId('chg'), amount, balanceAfter, chargedAt: this.log.iso() },
    });
    return e;
  }

  async hold(userId: string, seatNumber: number, ttlMs = 300_000, price = 80_000): Promise<TestHold> {
    this.log.advance(10);
    const { concertId, date } = this;
    const reservationId = nextId('res');
    const seat = seatStream(concertId, date, seatNumber);
    const [event] = await this.log.append(seat, {
      type: 'SeatHeld',
      data: { reservationId, userId, concertId, date, seatNumber, price, heldAt: this.log.iso(), expiresAt: this.log.iso(ttlMs) },
    });
    return { reservationId, userId, seatStream: seat, price, event };
  }

  async debit(userId: string, amount: number, paymentId = nextId('pay'), reservationId = nextId('res')): Promise<NewEvent> {
    this.log.advance(10);
    const balanceAfter = (this.balances.get(userId) ?? 0) - amount;
    this.balances.set(userId, balanceAfter);
    const [e] = await this.log.append(walletStream(userId), {
      type: 'WalletDebited',
      data: { userId, paymentId, reservationId, amount, balanceAfter, debitedAt: this.log.iso() },
    });
    return e;
  }

  async refund(userId: string, paymentId: string, amount: number): Promise<NewEvent> {
    this.log.advance(10);
    const balanceAfter = (this.balances.get(userId) ?? 0) + amount;
    this.balances.set(userId, balanceAfter);
    const [e] = await this.log.append(walletStream(userId), {
      type: 'WalletRefunded',
      data: { userId, paymentId, amount, balanceAfter, refundedAt: this.log.iso() },
    });
    return e;
  }

  async sell(hold: TestHold, paymentId: string): Promise<NewEvent> {
    this.log.advance(10);
    const [e] = await this.log.append(hold.seatStream, {
      type: 'SeatSold',
      data: { reservationId: hold.reservationId, userId: hold.userId, paymentId, price: hold.price, soldAt: this.log.iso() },
    });
    return e;
  }

  async expireHold(hold: TestHold): Promise<NewEvent> {
    this.log.advance(10);
    const expiresAt = (hold.event.data as { expiresAt: string }).expiresAt;
    const [e] = await this.log.append(hold.seatStream, {
      type: 'SeatHoldExpired',
      data: { reservationId: hold.reservationId, userId: hold.userId, expiresAt, expiredAt: this.log.iso() },
    });
    return e;
  }

  async cancel(hold: TestHold): Promise<NewEvent> {
    this.log.advance(10);
    const [e] = await this.log.append(hold.seatStream, {
      type: 'SeatHoldCancelled',
      data: { reservationId: hold.reservationId, userId: hold.userId, cancelledAt: this.log.iso() },
    });
    return e;
  }

  /** The whole saga as the services write it: payment started, debit, sale, payment completed. */
  async pay(hold: TestHold): Promise<{ paymentId: string; debit: NewEvent; sale: NewEvent }> {
    const paymentId = nextId('pay');
    const payment = paymentStream(hold.reservationId);
    this.log.advance(10);
    await this.log.append(payment, {
      type: 'PaymentStarted',
      data: {
        paymentId,
        reservationId: hold.reservationId,
        userId: hold.userId,
        amount: hold.price,
        seatStreamId: hold.seatStream,
        startedAt: this.log.iso(),
      },
    });
    const debit = await this.debit(hold.userId, hold.price, paymentId, hold.reservationId);
    const sale = await this.sell(hold, paymentId);
    await this.log.append(payment, {
      type: 'PaymentCompleted',
      data: { paymentId, reservationId: hold.reservationId, userId: hold.userId, amount: hold.price, paidAt: this.log.iso() },
    });
    return { paymentId, debit, sale };
  }

  /** A user who takes a token, charges, holds a seat and pays for it. */
  async purchase(
    userId: string,
    seatNumber: number,
  ): Promise<{ hold: TestHold; paymentId: string; debit: NewEvent; sale: NewEvent }> {
    const { tokenId } = await this.token(userId);
    if ((this.balances.get(userId) ?? 0) < 80_000) await this.charge(userId, 100_000);
    const hold = await this.hold(userId, seatNumber);
    const paid = await this.pay(hold);
    await this.expireToken(userId, tokenId, 'PAID');
    return { hold, ...paid };
  }
}
