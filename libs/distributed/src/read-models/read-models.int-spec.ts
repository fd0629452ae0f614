import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Connection } from 'mongoose';
import {
  DomainEvent,
  paymentStream,
  QUEUE_ADMISSION_STREAM,
  queueUserStream,
  seatStream,
  StoredEvent,
  walletStream,
} from '@concert/contracts';
import { envelope, ExpectedRevision, SqliteEventStore } from '@concert/event-store';
import { CONTEXT_NAMES, CONTEXTS } from '../contexts';
import { KafkaBus } from '../kafka/kafka-bus';
import { connectMongo } from '../mongo/mongo-connection';
import { EventRelay } from '../relay/event-relay';
import { RelayCheckpoints } from '../relay/relay-checkpoints';
import { checkEngines, describeWithEngines, dropKafkaNamespace, isolatedMongoUrl, isolatedNamespace } from '../testing/engines';
import { MongoReadModels } from './mongo-read-models';
import { ReadModelProjector } from './read-model-projector';
import { ReadModelName } from './read-model.schemas';
import { rebuildReadModels } from './rebuild-read-models';

// The engines are shared with other runs on 2 cores: be patient.
jest.setTimeout(180_000);

const engines = checkEngines({ kafka: true, mongo: true });
const MODELS: ReadModelName[] = ['balances', 'seats', 'reservations', 'queueTokens'];

async function until(probe: () => Promise<boolean>, timeoutMs = 90_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** JSON with sorted keys: documents written by different paths list their fields in different orders. */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

const t = (minutes: number) => new Date(Date.UTC(2030, 0, 1, 12, minutes)).toISOString();

/** A day of sales as the services would record it, including the awkward orders. */
async function recordHistory(store: SqliteEventStore): Promise<{ alice: string; bob: string; tokens: string[] }> {
  const revisions = new Map<string, number>();
  const append = async (stream: string, events: DomainEvent[]) => {
    const expected: ExpectedRevision = revisions.has(stream) ? revisions.get(stream)! : 'no_stream';
    const result = await store.append(stream, envelope(events, new Date()), expected);
    revisions.set(stream, result.nextRevision);
  };
  const alice = randomUUID();
  const bob = randomUUID();
  const concert = 'booking-concert-1';
  const seats = Array.from({ length: 5 }, (_, i) => ({ seatNumber: i + 1, price: 100_000 + i * 10_000 }));
  const date = '2030-02-01';
  await append(concert, [{ type: 'ConcertCreated', data: { concertId: 1, title: 'Spec Concert', createdAt: t(0) } }]);
  // Concert and seat streams have different keys: the projector may see a hold before its schedule.
  const r1 = randomUUID();
  const hold = (reservationId: string, userId: string, seatNumber: number, at: number) => ({
    type: 'SeatHeld',
    data: {
      reservationId,
      userId,
      concertId: 1,
      date,
      seatNumber,
      price: seats[seatNumber - 1].price,
      heldAt: t(at),
      expiresAt: t(at + 5),
    },
  });
  await append(concert, [{ type: 'ScheduleAdded', data: { concertId: 1, date, seats, addedAt: t(0) } }]);
  await append(seatStream(1, date, 1), [hold(r1, alice, 1, 1)]);
  await append(walletStream(alice), [
    {
      type: 'WalletCharged',
      data: { userId: alice, chargeId: randomUUID(), amount: 300_000, balanceAfter: 300_000, chargedAt: t(1) },
    },
  ]);
  const pay1 = randomUUID();
  await append(paymentStream(r1), [
    {
      type: 'PaymentStarted',
      data: {
        paymentId: pay1,
        reservationId: r1,
        userId: alice,
        amount: 100_000,
        seatStreamId: seatStream(1, date, 1),
        startedAt: t(2),
      },
    },
  ]);
  await append(walletStream(alice), [
    {
      type: 'WalletDebited',
      data: { userId: alice, paymentId: pay1, reservationId: r1, amount: 100_000, balanceAfter: 200_000, debitedAt: t(2) },
    },
  ]);
  await append(seatStream(1, date, 1), [
    { type: 'SeatSold', data: { reservationId: r1, userId: alice, paymentId: pay1, price: 100_000, soldAt: t(2) } },
  ]);
  // Bob holds seat 2, cancels, holds it again, lets it expire; then pays for seat 3 too late and is refunded.
  const r2 = randomUUID();
  const r3 = randomUUID();
  const r4 = randomUUID();
  await append(seatStream(1, date, 2), [hold(r2, bob, 2, 3)]);
  await append(seatStream(1, date, 2), [
    { type: 'SeatHoldCancelled', data: { reservationId: r2, userId: bob, cancelledAt: t(4) } },
  ]);
  await append(seatStream(1, date, 2), [hold(r3, bob, 2, 5)]);
  await append(seatStream(1, date, 2), [
    { type: 'SeatHoldExpired', data: { reservationId: r3, userId: bob, expiresAt: t(10), expiredAt: t(10) } },
  ]);
  await append(walletStream(bob), [
    {
      type: 'WalletCharged',
      data: { userId: bob, chargeId: randomUUID(), amount: 150_000, balanceAfter: 150_000, chargedAt: t(11) },
    },
  ]);
  await append(seatStream(1, date, 3), [hold(r4, bob, 3, 11)]);
  const pay4 = randomUUID();
  await append(walletStream(bob), [
    {
      type: 'WalletDebited',
      data: { userId: bob, paymentId: pay4, reservationId: r4, amount: 120_000, balanceAfter: 30_000, debitedAt: t(16) },
    },
  ]);
  await append(seatStream(1, date, 3), [
    { type: 'SeatHoldExpired', data: { reservationId: r4, userId: bob, expiresAt: t(16), expiredAt: t(16) } },
  ]);
  await append(walletStream(bob), [
    { type: 'WalletRefunded', data: { userId: bob, paymentId: pay4, amount: 120_000, balanceAfter: 150_000, refundedAt: t(17) } },
  ]);
  // Queue: tokens issued, admitted on the admission stream, expired on the user's stream; one expires
  // (idle) and its activation is recorded after the expiry, from a stale instance.
  const tokens = [randomUUID(), randomUUID(), randomUUID()];
  const users = [alice, bob, randomUUID()];
  for (let i = 0; i < 3; i++) {
    await append(queueUserStream(users[i]), [
      { type: 'TokenIssued', data: { tokenId: tokens[i], userId: users[i], issuedAt: t(i) } },
    ]);
  }
  const activated = (i: number, at: number) => ({
    type: 'TokenActivated',
    data: { tokenId: tokens[i], userId: users[i], activatedAt: t(at), expiresAt: t(at + 10) },
  });
  await append(QUEUE_ADMISSION_STREAM, [activated(0, 3), activated(1, 3)]);
  await append(queueUserStream(alice), [
    { type: 'TokenExpired', data: { tokenId: tokens[0], userId: alice, reason: 'PAID', expiredAt: t(4) } },
  ]);
  await append(queueUserStream(users[2]), [
    { type: 'TokenExpired', data: { tokenId: tokens[2], userId: users[2], reason: 'IDLE', expiredAt: t(6) } },
  ]);
  await append(QUEUE_ADMISSION_STREAM, [activated(2, 7)]);
  return { alice, bob, tokens };
}

describeWithEngines('MongoDB read models (mongoose): projected from Kafka, rebuilt from the event store', engines, () => {
  const namespace = isolatedNamespace('it-rm');
  const dir = mkdtempSync(join(tmpdir(), 'concert-rm-'));
  const projectedUrl = isolatedMongoUrl(engines.mongoUrl!, 'concert_it_projected');
  const rebuiltUrl = isolatedMongoUrl(engines.mongoUrl!, 'concert_it_rebuilt');
  let store: SqliteEventStore;
  let projectedDb: Connection;
  let rebuiltDb: Connection;
  let projected: MongoReadModels;
  let rebuilt: MongoReadModels;
  const buses: KafkaBus[] = [];
  const relays: EventRelay[] = [];
  let history: Awaited<ReturnType<typeof recordHistory>>;

  beforeAll(async () => {
    store = new SqliteEventStore(join(dir, 'events.db'));
    history = await recordHistory(store);
    projectedDb = await connectMongo(projectedUrl);
    rebuiltDb = await connectMongo(rebuiltUrl);
    projected = new MongoReadModels(projectedDb);
    rebuilt = new MongoReadModels(rebuiltDb);
    await projected.ensureIndexes();
    const checkpoints = new RelayCheckpoints(projectedDb);
    for (const context of CONTEXT_NAMES) {
      const bus = new KafkaBus({ brokers: engines.kafkaBrokers!, service: context, namespace });
      buses.push(bus);
      const relay = new EventRelay(store, bus, checkpoints, {
        name: context,
        topic: CONTEXTS[context].topic,
        streamPrefixes: [CONTEXTS[context].streamPrefix],
        owner: 'spec',
      });
      relays.push(relay);
      await relay.start();
      await new ReadModelProjector(bus, new MongoReadModels(projectedDb, [context])).start();
    }
  });

  afterAll(async () => {
    for (const r of relays) await r.stop().catch(() => undefined);
    for (const b of buses) await b.close();
    await dropKafkaNamespace(engines.kafkaBrokers!, namespace).catch((err: unknown) => console.warn(`cleanup: ${String(err)}`));
    await store?.close();
    for (const db of [projectedDb, rebuiltDb]) {
      await db?.db?.dropDatabase().catch(() => undefined);
      await db?.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const snapshot = async (models: MongoReadModels) =>
    Object.fromEntries(await Promise.all(MODELS.map(async (m) => [m, await models.documents(m)] as const)));

  it('rebuildReadModels replays the store into the same documents the consumers projected', async () => {
    const result = await rebuildReadModels(store, rebuiltUrl);
    expect(result.events).toBe(await store.headPosition());
    expect(result.documents).toEqual({ balances: 2, seats: 5, reservations: 4, queueTokens: 3 });
    const expected = await snapshot(rebuilt);
    await until(async () => canonical(await snapshot(projected)) === canonical(expected), 90_000, 'projection equals rebuild');
    expect(await snapshot(projected)).toEqual(expected);
  });

  it('holds what the events say', async () => {
    const { alice, bob, tokens } = history;
    const balances = await rebuilt.documents('balances');
    expect(balances.find((b) => b._id === alice)).toMatchObject({
      balance: 200_000,
      charged: 300_000,
      debited: 100_000,
      refunded: 0,
      revision: 1,
    });
    expect(balances.find((b) => b._id === bob)).toMatchObject({
      balance: 150_000,
      charged: 150_000,
      debited: 120_000,
      refunded: 120_000,
      revision: 2,
    });
    const seats = await rebuilt.documents('seats');
    expect(seats.map((s) => [s.seatNumber, s.status])).toEqual([
      [1, 'SOLD'],
      [2, 'FREE'],
      [3, 'FREE'],
      [4, 'FREE'],
      [5, 'FREE'],
    ]);
    expect(seats[0]).toMatchObject({ userId: alice, price: 100_000, revision: 1 });
    const reservations = await rebuilt.documents('reservations');
    expect(reservations.map((r) => r.status).sort()).toEqual(['CANCELLED', 'CONFIRMED', 'EXPIRED', 'EXPIRED']);
    const tokenDocs = await rebuilt.documents('queueTokens');
    const status = (id: string) => tokenDocs.find((d) => d._id === id)?.status;
    expect([status(tokens[0]), status(tokens[1]), status(tokens[2])]).toEqual(['EXPIRED', 'ACTIVE', 'EXPIRED']);
    // The late activation is recorded but does not revive the token.
    expect(tokenDocs.find((d) => d._id === tokens[2])).toMatchObject({ expiryReason: 'IDLE', activatedAt: t(7) });
  });

  it('redelivering every event (at-least-once) changes no document', async () => {
    const before = await snapshot(projected);
    const all: StoredEvent[] = await store.readAll(0, 10_000);
    for (const context of CONTEXT_NAMES) {
      const own = all.filter((e) => e.streamId.startsWith(CONTEXTS[context].streamPrefix));
      // Twice, the second time in reverse: revision guards keep the newest state.
      await buses[0].publish(CONTEXTS[context].topic, own);
      await buses[0].publish(CONTEXTS[context].topic, [...own].reverse());
    }
    // Then a marker event, so we know the redeliveries before it were consumed.
    const marker = await store.append(
      walletStream('marker'),
      envelope(
        [{ type: 'WalletCharged', data: { userId: 'marker', chargeId: 'm', amount: 1, balanceAfter: 1, chargedAt: t(30) } }],
        new Date(),
      ),
      'no_stream',
    );
    await until(async () => (await projected.documents('balances')).some((b) => b._id === 'marker'), 90_000, 'marker projected');
    expect(marker.position).toBeGreaterThan(0);
    const after = await snapshot(projected);
    after.balances = after.balances.filter((b: { _id: string }) => b._id !== 'marker');
    expect(after).toEqual(before);
  });

  it('applying the log twice, or a page again, gives the same documents (idempotent apply)', async () => {
    const all = await store.readAll(0, 10_000);
    const before = await snapshot(rebuilt);
    await rebuilt.apply(all);
    await rebuilt.apply(all.slice(5, 20));
    const after = await snapshot(rebuilt);
    after.balances = after.balances.filter((b: { _id: string }) => b._id !== 'marker');
    expect(after).toEqual(before);
  });
});
