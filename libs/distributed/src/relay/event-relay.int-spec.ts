import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from 'mongoose';
import { BOOKING_TOPIC, StoredEvent } from '@concert/contracts';
import { envelope, SqliteEventStore } from '@concert/event-store';
import { KafkaBus } from '../kafka/kafka-bus';
import { connectMongo } from '../mongo/mongo-connection';
import { checkEngines, describeWithEngines, dropKafkaNamespace, isolatedMongoUrl, isolatedNamespace } from '../testing/engines';
import { EventRelay, EventRelayOptions } from './event-relay';
import { RelayCheckpoints } from './relay-checkpoints';

// The engines are shared with other runs on 2 cores: be patient.
jest.setTimeout(180_000);

const engines = checkEngines({ kafka: true, mongo: true });

async function until(probe: () => boolean | Promise<boolean>, timeoutMs = 60_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describeWithEngines('EventRelay: event store → Kafka, checkpoint in MongoDB', engines, () => {
  const namespace = isolatedNamespace('it-relay');
  const dir = mkdtempSync(join(tmpdir(), 'concert-relay-'));
  let store: SqliteEventStore;
  let mongo: Connection;
  let checkpoints: RelayCheckpoints;
  let publisher: KafkaBus;
  let subscriber: KafkaBus;
  const received: StoredEvent[] = [];
  const relays: EventRelay[] = [];
  let seq = 0;

  const options = (owner: string, extra: Partial<EventRelayOptions> = {}): EventRelayOptions => ({
    name: 'booking',
    topic: BOOKING_TOPIC,
    streamPrefixes: ['booking-'],
    owner,
    leaseMs: 3_000,
    idlePollMs: 100,
    ...extra,
  });
  const relay = (
    owner: string,
    bus: Pick<KafkaBus, 'publish'> = publisher,
    s = store,
    extra: Partial<EventRelayOptions> = {},
  ) => {
    const r = new EventRelay(s, bus, checkpoints, options(owner, extra));
    relays.push(r);
    return r;
  };
  const append = async (stream: string, n = 1) => {
    const events = Array.from({ length: n }, () => ({ type: 'TestHappened', data: { seq: ++seq } }));
    return store.append(stream, envelope(events, new Date()), 'any');
  };
  const ids = (events: StoredEvent[]) => events.map((e) => e.id);
  const bookingIdsInStore = async (s = store) =>
    ids((await s.readAll(0, 100_000)).filter((e) => e.streamId.startsWith('booking-')));

  beforeAll(async () => {
    store = new SqliteEventStore(join(dir, 'booking.db'));
    mongo = await connectMongo(isolatedMongoUrl(engines.mongoUrl!));
    checkpoints = new RelayCheckpoints(mongo);
    publisher = new KafkaBus({ brokers: engines.kafkaBrokers!, service: 'booking', namespace });
    subscriber = new KafkaBus({ brokers: engines.kafkaBrokers!, service: 'reader', namespace });
    await subscriber.subscribe(BOOKING_TOPIC, 'relay-spec-reader', (e) => void received.push(e));
  });

  afterAll(async () => {
    for (const r of relays) await r.stop().catch(() => undefined);
    await publisher?.close();
    await subscriber?.close();
    await dropKafkaNamespace(engines.kafkaBrokers!, namespace).catch((err: unknown) => console.warn(`cleanup: ${String(err)}`));
    await store?.close();
    await mongo?.db?.dropDatabase().catch(() => undefined);
    await mongo?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('relays only its own streams, keyed by stream, and keeps its checkpoint in relay_checkpoints', async () => {
    await append('booking-seat-1:2030-01-01:1', 3);
    await append('wallet-account-someone', 2);
    await append('booking-seat-1:2030-01-01:2', 2);
    const first = relay('instance-a');
    await first.start();
    const head = await store.headPosition();
    await first.publishedUpTo(head);
    await until(() => received.length >= 5, 60_000, '5 booking events received');
    expect(ids(received).sort()).toEqual((await bookingIdsInStore()).sort());
    expect(received.every((e) => e.streamId.startsWith('booking-'))).toBe(true);
    const checkpoint = await checkpoints.get('booking');
    expect(checkpoint).toMatchObject({ position: head, owner: 'instance-a' });
    expect(checkpoint!.epoch).toBe((await store.readAll(0, 1))[0].id);
  });

  it('resumes from its checkpoint after a restart: nothing lost, nothing before the checkpoint sent again', async () => {
    await relays[0].stop();
    const before = received.length;
    await append('booking-seat-1:2030-01-01:3', 4);
    await append('booking-seat-1:2030-01-01:1', 1);
    const restarted = relay('instance-a');
    await restarted.start();
    await restarted.publishedUpTo(await store.headPosition());
    await until(() => received.length >= before + 5, 60_000, 'the 5 new events received');
    expect(ids(received).sort()).toEqual((await bookingIdsInStore()).sort());
    await restarted.stop();
  });

  it('a crash between publish and checkpoint republishes the page (at least once), and then goes on', async () => {
    const before = received.length;
    await append('booking-seat-2:2030-01-01:1', 3);
    let crashes = 0;
    const crashingOnce: Pick<KafkaBus, 'publish'> = {
      publish: async (topic, events) => {
        await publisher.publish(topic, events);
        // Published, but the process "dies" before the checkpoint is written.
        if (crashes++ === 0) throw new Error('crash after publish');
      },
    };
    const flaky = relay('instance-a', crashingOnce);
    await flaky.start();
    await flaky.publishedUpTo(await store.headPosition());
    await until(() => received.length >= before + 6, 60_000, 'the page twice');
    expect(crashes).toBe(2);
    const after = received.slice(before);
    expect(new Set(ids(after))).toEqual(new Set((await bookingIdsInStore()).slice(-3)));
    await flaky.stop();
  });

  it('instances sharing one store take turns by lease: one relays, the other takes over when it stops', async () => {
    const a = relay('instance-a');
    const b = relay('instance-b');
    await a.start();
    await until(() => a.isLeader, 30_000, 'a leads');
    await b.start();
    await new Promise((r) => setTimeout(r, 500));
    expect(b.isLeader).toBe(false);
    const before = new Set(ids(received));
    await append('booking-seat-3:2030-01-01:1', 2);
    await a.publishedUpTo(await store.headPosition());
    await a.stop();
    await append('booking-seat-3:2030-01-01:2', 2);
    await until(() => b.isLeader, 30_000, 'b takes over');
    await b.publishedUpTo(await store.headPosition());
    const expected = (await bookingIdsInStore()).filter((id) => !before.has(id));
    await until(() => expected.every((id) => received.some((e) => e.id === id)), 60_000, 'every new event received');
    await b.stop();
  });

  it('does not trust a checkpoint written for another store (wiped data dir): relays that store from the start', async () => {
    const fresh = new SqliteEventStore(join(dir, 'booking-wiped.db'));
    try {
      await fresh.append(
        'booking-seat-9:2030-01-01:9',
        envelope([{ type: 'TestHappened', data: { seq: ++seq } }], new Date()),
        'no_stream',
      );
      const r = relay('instance-a', publisher, fresh);
      await r.start();
      const [only] = await fresh.readAll(0, 1);
      await r.publishedUpTo(only.position);
      await until(() => received.some((e) => e.id === only.id), 60_000, 'the wiped store’s first event');
      await r.stop();
    } finally {
      await fresh.close();
    }
  });
});
