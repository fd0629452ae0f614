import { randomUUID } from 'node:crypto';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import { Connection } from 'mongoose';
import { DomainError, ErrorCode, StoredEvent } from '@concert/contracts';
import { connectMongo } from '../mongo/mongo-connection';
import { idempotentListener, ProcessedEvents } from '../idempotency/processed-events';
import { checkEngines, describeWithEngines, dropKafkaNamespace, isolatedMongoUrl, isolatedNamespace } from '../testing/engines';
import { DLQ_HEADERS, KafkaBus } from './kafka-bus';
import { headerText } from './event-codec';

// The engines are shared with other runs on 2 cores: be patient.
jest.setTimeout(180_000);

const engines = checkEngines({ kafka: true, mongo: true });

function storedEvent(streamId: string, revision: number, position: number, data: Record<string, unknown> = {}): StoredEvent {
  return {
    id: randomUUID(),
    type: 'TestHappened',
    version: 1,
    data: { n: position, ...data },
    metadata: { occurredAt: new Date().toISOString(), correlationId: randomUUID(), causationId: randomUUID() },
    streamId,
    revision,
    position,
  };
}

async function until(probe: () => boolean, timeoutMs = 60_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describeWithEngines('KafkaBus on a real Kafka broker', engines, () => {
  const brokers = engines.kafkaBrokers!;
  const namespace = isolatedNamespace('it-bus');
  const patterns = ['test.echo', 'test.fail', 'test.crash', 'test.void', 'test.nobody'];
  const buses: KafkaBus[] = [];
  const bus = (service: string, extra: Partial<ConstructorParameters<typeof KafkaBus>[0]> = {}): KafkaBus => {
    const b = new KafkaBus({ brokers, service, namespace, requestPatterns: patterns, requestTimeoutMs: 8_000, ...extra });
    buses.push(b);
    return b;
  };
  let mongo: Connection;
  const rawConsumers: Consumer[] = [];

  beforeAll(async () => {
    mongo = await connectMongo(isolatedMongoUrl(engines.mongoUrl!));
  });

  afterAll(async () => {
    for (const c of rawConsumers) await c.disconnect().catch(() => undefined);
    for (const b of buses) await b.close();
    await dropKafkaNamespace(brokers, namespace).catch((err: unknown) => console.warn(`cleanup: ${String(err)}`));
    await mongo?.db?.dropDatabase().catch(() => undefined);
    await mongo?.close();
  });

  describe('request/reply (commands through @nestjs/microservices)', () => {
    const handledBy: Record<string, number> = {};
    let caller: KafkaBus;

    beforeAll(async () => {
      // Two instances of one service: one consumer group, so they share the request partitions.
      for (const instance of ['a', 'b']) {
        const server = bus('echo-service');
        server.handle('test.echo', async (p: { userId: string }) => {
          handledBy[instance] = (handledBy[instance] ?? 0) + 1;
          return { echo: p, instance };
        });
        server.handle('test.fail', async (p: { code: ErrorCode; message: string }) => {
          throw new DomainError(p.code, p.message);
        });
        server.handle('test.crash', async () => {
          throw new Error('database password is hunter2');
        });
        server.handle('test.void', async () => undefined);
        await server.listen();
      }
      caller = bus('caller');
      await caller.connectRequests();
    });

    it('returns the handler result, whatever its shape', async () => {
      const reply = await caller.request<{ echo: { userId: string; list: number[] } }>('test.echo', {
        userId: 'u1',
        list: [1, 2],
      });
      expect(reply.echo).toEqual({ userId: 'u1', list: [1, 2] });
      await expect(caller.request('test.void', {})).resolves.toBeUndefined();
    });

    it('rethrows a handler DomainError as a DomainError with the same code and message', async () => {
      const err = await caller
        .request('test.fail', { code: ErrorCode.SeatAlreadyReserved, message: 'Seat is already reserved' })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ code: ErrorCode.SeatAlreadyReserved, message: 'Seat is already reserved' });
      const custom = await caller
        .request('test.fail', { code: ErrorCode.InsufficientBalance, message: 'need 5 more' })
        .catch((e: unknown) => e);
      expect(DomainError.is(custom, ErrorCode.InsufficientBalance)).toBe(true);
      expect((custom as DomainError).message).toBe('need 5 more');
    });

    it('turns any other error into INTERNAL without leaking its text', async () => {
      const err = await caller.request('test.crash', {}).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DomainError);
      expect(err).toMatchObject({ code: ErrorCode.Internal, message: 'Internal server error' });
    });

    it('answers UNAVAILABLE when no service handles the pattern in time', async () => {
      const impatient = bus('impatient', { requestTimeoutMs: 2_000 });
      const err = await impatient.request('test.nobody', {}).catch((e: unknown) => e);
      expect(DomainError.is(err, ErrorCode.Unavailable)).toBe(true);
    });

    it('spreads requests over the instances of a service (one consumer group)', async () => {
      const replies = await Promise.all(
        Array.from({ length: 60 }, (_, i) => caller.request<{ instance: string }>('test.echo', { userId: `user-${i}` })),
      );
      expect(replies).toHaveLength(60);
      const instances = new Set(replies.map((r) => r.instance));
      expect(instances).toEqual(new Set(['a', 'b']));
    });
  });

  describe('events (publish/subscribe by topic and group)', () => {
    const topic = 'test.events';

    it('delivers every event to every group, in stream order', async () => {
      const publisher = bus('publisher');
      const events = Array.from({ length: 30 }, (_, i) => storedEvent(`stream-${i % 3}`, Math.floor(i / 3), i + 1));
      const seen: Record<string, StoredEvent[]> = { g1: [], g2: [] };
      const subscriber = bus('subscriber');
      await subscriber.subscribe(topic, 'g1', (e) => void seen.g1.push(e));
      await subscriber.subscribe(topic, 'g2', (e) => void seen.g2.push(e));
      await publisher.publish(topic, events.slice(0, 15));
      await publisher.publish(topic, events.slice(15));
      await until(() => seen.g1.length >= 30 && seen.g2.length >= 30, 60_000, 'both groups got 30 events');
      for (const group of ['g1', 'g2']) {
        expect(new Set(seen[group].map((e) => e.id))).toEqual(new Set(events.map((e) => e.id)));
        for (const stream of ['stream-0', 'stream-1', 'stream-2']) {
          // At least once: a redelivery may repeat events; their first deliveries are in order.
          const firsts = [...new Set(seen[group].filter((e) => e.streamId === stream).map((e) => e.revision))];
          expect(firsts).toEqual([...firsts].sort((a, b) => a - b));
        }
      }
      expect(seen.g1[0]).toEqual(events.find((e) => e.id === seen.g1[0].id));
    });

    it('singleOwner: one member of the group consumes every partition, another takes over when it leaves', async () => {
      const publisher = bus('owner-publisher');
      const first = bus('owner-1');
      const second = bus('owner-2');
      const seen = { first: [] as string[], second: [] as string[] };
      await first.subscribe('test.owned', 'projector', (e) => void seen.first.push(e.id), { singleOwner: true });
      await second.subscribe('test.owned', 'projector', (e) => void seen.second.push(e.id), { singleOwner: true });
      const before = Array.from({ length: 12 }, (_, i) => storedEvent(`owned-${i}`, 0, i + 1));
      await publisher.publish('test.owned', before);
      const distinct = (ids: string[]) => new Set(ids).size;
      await until(() => distinct([...seen.first, ...seen.second]) >= 12, 60_000, '12 events consumed');
      // Every stream (so every partition) went to the same member; a rebalance may redeliver (at least once).
      expect([distinct(seen.first), distinct(seen.second)].sort((a, b) => a - b)).toEqual([0, 12]);
      const [owner, standby] = seen.first.length ? [first, seen.second] : [second, seen.first];
      await owner.close();
      const after = Array.from({ length: 6 }, (_, i) => storedEvent(`owned-after-${i}`, 0, i + 20));
      await publisher.publish('test.owned', after);
      await until(() => after.every((e) => standby.includes(e.id)), 90_000, 'the standby takes over');
    });

    it('is idempotent by event id: a redelivered event has its effect once', async () => {
      const ledger = new ProcessedEvents(mongo);
      const publisher = bus('dup-publisher');
      const subscriber = bus('dup-subscriber');
      const effects = new Map<string, number>();
      await subscriber.subscribe(
        'test.dups',
        'dedup',
        idempotentListener(ledger, 'dedup', (e) => void effects.set(e.id, (effects.get(e.id) ?? 0) + 1)),
      );
      const events = Array.from({ length: 5 }, (_, i) => storedEvent('dup-stream', i, i + 1));
      // At-least-once: the relay republishes a page after a crash, so consumers see repeats.
      await publisher.publish('test.dups', events);
      await publisher.publish('test.dups', events.slice(1, 4));
      await publisher.publish('test.dups', [events[0], events[0]]);
      const marker = storedEvent('dup-stream', 5, 6);
      await publisher.publish('test.dups', [marker]);
      await until(() => effects.has(marker.id), 60_000, 'marker processed');
      expect([...effects.values()]).toEqual([1, 1, 1, 1, 1, 1]);
      for (const e of events) expect(await ledger.has('dedup', e.id)).toBe(true);
    });

    it('retries a failing listener, commits only after success, and sends a poison message to <topic>.dlq', async () => {
      const dlqMessages: { key: string | undefined; value: string; headers: Record<string, string | undefined> }[] = [];
      const kafka = new Kafka({ clientId: 'dlq-reader', brokers, logLevel: logLevel.NOTHING });
      const dlqReader = kafka.consumer({ groupId: `${namespace}dlq-reader`, maxWaitTimeInMs: 100 });
      rawConsumers.push(dlqReader);
      const failing = bus('failing', { maxDeliveryAttempts: 3, retryBackoffMs: 50 });
      const poison = storedEvent('poison-stream', 0, 1, { poison: true });
      const flaky = storedEvent('flaky-stream', 0, 2);
      const fine = storedEvent('fine-stream', 0, 3);
      const attempts = new Map<string, number>();
      const handled: string[] = [];
      await failing.subscribe('test.retry', 'worker', async (e) => {
        attempts.set(e.id, (attempts.get(e.id) ?? 0) + 1);
        if ((e.data as { poison?: boolean }).poison) throw new Error('cannot handle this one');
        if (e.id === flaky.id && attempts.get(e.id)! < 2) throw new Error('transient');
        handled.push(e.id);
      });
      const publisher = bus('retry-publisher');
      await publisher.publish('test.retry', [poison, flaky, fine]);
      // Not JSON at all: straight to the DLQ, no retries.
      const raw = kafka.producer();
      await raw.connect();
      await raw.send({ topic: `${namespace}test.retry`, messages: [{ key: 'garbage', value: 'not an event' }] });
      await raw.disconnect();

      await dlqReader.connect();
      await dlqReader.subscribe({ topics: [`${namespace}test.retry.dlq`], fromBeginning: true });
      await dlqReader.run({
        eachMessage: async ({ message }) => {
          const headers: Record<string, string | undefined> = {};
          for (const name of Object.keys(message.headers ?? {})) headers[name] = headerText(message.headers, name);
          dlqMessages.push({ key: message.key?.toString(), value: message.value!.toString(), headers });
        },
      });
      await until(() => dlqMessages.length >= 2 && handled.length >= 2, 90_000, 'two dead letters and two handled events');
      expect(attempts.get(poison.id)).toBe(3);
      expect(attempts.get(flaky.id)).toBe(2);
      expect(handled.sort()).toEqual([flaky.id, fine.id].sort());
      const dead = dlqMessages.find((m) => m.key === 'poison-stream')!;
      expect(JSON.parse(dead.value).id).toBe(poison.id);
      expect(dead.headers[DLQ_HEADERS.error]).toContain('cannot handle this one');
      expect(dead.headers[DLQ_HEADERS.attempts]).toBe('3');
      expect(dead.headers[DLQ_HEADERS.group]).toBe('worker');
      expect(dead.headers[DLQ_HEADERS.topic]).toBe(`${namespace}test.retry`);
      const garbage = dlqMessages.find((m) => m.key === 'garbage')!;
      expect(garbage.headers[DLQ_HEADERS.error]).toMatch(/Not a stored event/);

      // Offsets were committed: the same group, restarted, gets nothing again.
      await failing.close();
      const restarted = bus('failing-again');
      const redelivered: string[] = [];
      await restarted.subscribe('test.retry', 'worker', (e) => void redelivered.push(e.id));
      const after = storedEvent('after-stream', 0, 4);
      await publisher.publish('test.retry', [after]);
      await until(() => redelivered.includes(after.id), 60_000, 'event after restart');
      expect(redelivered).toEqual([after.id]);
    });
  });
});
