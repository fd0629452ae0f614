import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import {
  DebitRequest,
  DomainError,
  ErrorCode,
  paymentStream,
  QueuePatterns,
  RefundRequest,
  ReleaseTokenRequest,
  seatStream,
  StoredEvent,
  walletStream,
  WalletPatterns,
} from '@concert/contracts';
import { InProcessBus } from '@concert/bus';
import { EventStore, SqliteEventStore } from '@concert/event-store';
import { AppConfig, Clock } from '@concert/platform';
import { appendOneSeatCatalog } from '../test/one-seat-catalog';
import { BookingRuntime } from './booking.runtime';
import { PaymentSaga } from './payment.saga';
import { HoldSeatCommand, HoldSeatHandler } from './reservation.handlers';

const T0 = Date.parse('2030-05-01T10:00:00.000Z');
const DATE = '2030-06-01';
const BUYER = '11111111-1111-4111-8111-111111111111';
/** The test's clock: T0, moved on by `offsetMs` (set back to 0 before each test). */
const clock: Clock & { offsetMs: number } = {
  offsetMs: 0,
  now(): Date {
    return new Date(T0 + this.offsetMs);
  },
};

/**
 * A booking instance of its own: store connection, read model, saga; the wallet and the queue answer on its bus.
 * `walletElsewhere`: the wallet keeps its events in another store, so it never finds the event a debit must follow.
 */
function instance(
  store: EventStore,
  { walletElsewhere = false, walletLate = false, lapseBeforeDebit = false } = {},
): {
  runtime: BookingRuntime;
  saga: PaymentSaga;
  debits: DebitRequest[];
  releases: ReleaseTokenRequest[];
  refunds: RefundRequest[];
} {
  const runtime = new BookingRuntime(store, { holdTtlSeconds: 300 } as AppConfig, clock);
  const bus = new InProcessBus();
  const debits: DebitRequest[] = [];
  const releases: ReleaseTokenRequest[] = [];
  bus.handle(WalletPatterns.debit, async (req: DebitRequest) => {
    debits.push(req);
    if (walletElsewhere && req.after) throw new DomainError(ErrorCode.RequiredEventMissing);
    if (walletLate) {
      // The debit decided a tick later (say, its wallet was busy): it goes in a later commit than the start.
      await new Promise((resolve) => setImmediate(resolve));
      // ...and, slower still, past the hold's deadline.
      if (lapseBeforeDebit) clock.offsetMs = 301_000;
      const data = {
        userId: req.userId,
        paymentId: req.paymentId,
        reservationId: req.reservationId,
        amount: req.amount,
        balanceAfter: 0,
      };
      const metadata = { occurredAt: new Date(T0).toISOString(), correlationId: req.paymentId, causationId: req.paymentId };
      const debit = { id: req.eventId ?? randomUUID(), type: 'WalletDebited', version: 1, data, metadata };
      await store.append(walletStream(req.userId), [debit], 'any', req.after && { after: req.after });
    }
    return { userId: req.userId, paymentId: req.paymentId, amount: req.amount, balance: 0 };
  });
  // Ends nothing; with a wallet that stores its debits, refuses as the queue does a release that must follow
  // an event not stored.
  bus.handle(QueuePatterns.releaseToken, async (req: ReleaseTokenRequest) => {
    releases.push(req);
    const after = req.after;
    if (walletLate && after && !(await store.readStream(after.streamId)).some((e) => e.id === after.eventId))
      throw new DomainError(ErrorCode.RequiredEventMissing);
    return { released: true };
  });
  const refunds: RefundRequest[] = [];
  bus.handle(WalletPatterns.refund, async (req: RefundRequest) => {
    refunds.push(req);
    return { userId: req.userId, paymentId: req.paymentId, amount: 1000, balance: 1000 };
  });
  return { runtime, saga: new PaymentSaga(runtime, bus), debits, releases, refunds };
}

/** Counts the reads of streams that turn out not to exist. */
function countingEmptyReads(store: EventStore): { store: EventStore; emptyReads: string[] } {
  const emptyReads: string[] = [];
  const readStream = store.readStream.bind(store);
  store.readStream = async (streamId: string, from?: number): Promise<StoredEvent[]> => {
    const events = await readStream(streamId, from);
    if (events.length === 0) emptyReads.push(streamId);
    return events;
  };
  return { store, emptyReads };
}

describe('the payment saga on a reservation it has no payment for', () => {
  let dir: string;
  const stores: SqliteEventStore[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'concert-saga-spec-'));
    clock.offsetMs = 0;
  });

  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function openStore(options: { pollIntervalMs?: number } = {}): Promise<SqliteEventStore> {
    const store = new SqliteEventStore(join(dir, 'events.db'), options);
    stores.push(store);
    return store;
  }

  async function catalogAndHold(store: EventStore, runtime: BookingRuntime): Promise<string> {
    await appendOneSeatCatalog(store, DATE, new Date(T0));
    await runtime.catchUp();
    const held = await new HoldSeatHandler(runtime).execute(new HoldSeatCommand(BUYER, 1, DATE, 1));
    return held.reservationId;
  }

  it('holds and pays without reading the seat or payment stream it is about to create', async () => {
    const { store, emptyReads } = countingEmptyReads(await openStore());
    const { runtime, saga } = instance(store);
    const reservationId = await catalogAndHold(store, runtime);
    const paid = await saga.pay(BUYER, reservationId);

    expect(paid.status).toBe('COMPLETED');
    // The catalog stream is new too, but appended directly above; the hold and the payment read nothing empty.
    expect(emptyReads).toEqual([]);
  });

  it('answers a payment another instance completed (its view has not folded it yet) with that payment, once', async () => {
    const storeA = await openStore({ pollIntervalMs: 10 });
    const a = instance(storeA);
    const reservationId = await catalogAndHold(storeA, a.runtime);
    // Instance B boots with the hold folded, then stops seeing new events (a slow poll).
    const storeB = await openStore({ pollIntervalMs: 3_600_000 });
    const b = instance(storeB);
    await b.runtime.catchUp();
    expect(b.runtime.view.reservations.get(reservationId)?.status).toBe('HELD');

    const first = await a.saga.pay(BUYER, reservationId);
    await a.saga.completedReply(reservationId);
    expect(b.runtime.view.payments.has(reservationId)).toBe(false);

    // The buyer's retry lands on B: the stream, not B's view, decides.
    const retry = await b.saga.pay(BUYER, reservationId);
    expect(retry).toEqual(first);
    expect(a.debits).toHaveLength(1);
    expect(b.debits).toHaveLength(0);
    const events = await storeA.readStream(paymentStream(reservationId));
    expect(events.map((e) => e.type)).toEqual(['PaymentStarted', 'PaymentCompleted']);
  });

  it('asks the wallet for the debit with PaymentStarted on a sole-writer store, and again without the condition when it cannot see it', async () => {
    const store = await openStore();
    expect(store.soleWriter).toBe(true);
    const { runtime, saga, debits } = instance(store, { walletElsewhere: true });
    const reservationId = await catalogAndHold(store, runtime);

    const paid = await saga.pay(BUYER, reservationId);
    expect(paid.status).toBe('COMPLETED');
    const [started] = await store.readStream(paymentStream(reservationId));
    const debit = { userId: BUYER, paymentId: paid.paymentId, reservationId, amount: 1000 };
    expect(debits).toEqual([
      { ...debit, after: { streamId: paymentStream(reservationId), eventId: started.id }, eventId: expect.any(String) },
      debit,
    ]);
  });

  it('sells and releases once more, without the condition, when the debit goes in a later commit than the sale queued with it', async () => {
    const store = await openStore();
    const { runtime, saga, debits, releases } = instance(store, { walletLate: true });
    const reservationId = await catalogAndHold(store, runtime);

    const paid = await saga.pay(BUYER, reservationId);
    expect(paid.status).toBe('COMPLETED');
    const debitRef = { streamId: walletStream(BUYER), eventId: debits[0].eventId };
    expect(debits).toHaveLength(1);
    // The release queued with the debit was refused (the debit was not stored yet); the one after the sale was not.
    expect(releases).toEqual([
      { userId: BUYER, reason: 'PAID', after: debitRef },
      { userId: BUYER, reason: 'PAID' },
    ]);
    const seat = await store.readStream(seatStream(1, DATE, 1));
    expect(seat.map((e) => e.type)).toEqual(['SeatHeld', 'SeatSold']);
    const [debit] = await store.readStream(walletStream(BUYER));
    expect(seat[1].position).toBeGreaterThan(debit.position);
  });

  it("keeps the buyer's slot and refunds when the debit, in a later commit than the sale queued with it, comes after the deadline", async () => {
    const store = await openStore();
    const { runtime, saga, debits, releases, refunds } = instance(store, { walletLate: true, lapseBeforeDebit: true });
    const reservationId = await catalogAndHold(store, runtime);

    const refused = await saga.pay(BUYER, reservationId).catch((err: unknown) => err);
    expect(DomainError.is(refused, ErrorCode.ReservationExpired)).toBe(true);
    // Only the release that was to follow the debit in its commit was asked for, and refused: none after.
    const debitRef = { streamId: walletStream(BUYER), eventId: debits[0].eventId };
    expect(releases).toEqual([{ userId: BUYER, reason: 'PAID', after: debitRef }]);
    expect(refunds).toEqual([{ userId: BUYER, paymentId: debits[0].paymentId }]);
    expect((await store.readStream(seatStream(1, DATE, 1))).map((e) => e.type)).toEqual(['SeatHeld']);
    expect((await store.readStream(paymentStream(reservationId))).map((e) => e.type)).toEqual([
      'PaymentStarted',
      'PaymentRefunded',
    ]);
  });

  it('asks for the debit only once PaymentStarted is stored where other writers may be', async () => {
    const store = await openStore({ pollIntervalMs: 10 });
    expect(store.soleWriter).toBe(false);
    const { runtime, saga, debits } = instance(store, { walletElsewhere: true });
    const reservationId = await catalogAndHold(store, runtime);

    const paid = await saga.pay(BUYER, reservationId);
    expect(paid.status).toBe('COMPLETED');
    expect(debits).toEqual([{ userId: BUYER, paymentId: paid.paymentId, reservationId, amount: 1000 }]);
  });
});
