import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DebitRequest,
  DomainError,
  ErrorCode,
  paymentStream,
  QueuePatterns,
  StoredEvent,
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
const clock: Clock = { now: () => new Date(T0) };

/**
 * A booking instance of its own: store connection, read model, saga; the wallet and the queue answer on its bus.
 * `walletElsewhere`: the wallet keeps its events in another store, so it never finds the event a debit must follow.
 */
function instance(
  store: EventStore,
  { walletElsewhere = false } = {},
): { runtime: BookingRuntime; saga: PaymentSaga; debits: DebitRequest[] } {
  const runtime = new BookingRuntime(store, { holdTtlSeconds: 300 } as AppConfig, clock);
  const bus = new InProcessBus();
  const debits: DebitRequest[] = [];
  bus.handle(WalletPatterns.debit, async (req: DebitRequest) => {
    debits.push(req);
    if (walletElsewhere && req.after) throw new DomainError(ErrorCode.RequiredEventMissing);
    return { userId: req.userId, paymentId: req.paymentId, amount: req.amount, balance: 0 };
  });
  bus.handle(QueuePatterns.releaseToken, async () => ({ released: true }));
  return { runtime, saga: new PaymentSaga(runtime, bus), debits };
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
    expect(debits).toEqual([{ ...debit, after: { streamId: paymentStream(reservationId), eventId: started.id } }, debit]);
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
