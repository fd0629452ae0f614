import { randomUUID } from 'node:crypto';
import { NewEvent, StoredEvent } from '@concert/contracts';
import { eventStoreContract } from '../../event-store.contract';
import { WrongExpectedRevisionError } from '../../event-store.port';
import { FakeKurrentServer } from './fake-kurrentdb-server';
import { KurrentDbEventStore } from './kurrentdb-event-store';

/*
 * The adapter against an in-process model of KurrentDB (fake-kurrentdb-server.ts): it checks the
 * adapter's own logic (inclusive reads, system records, paging, idempotent retries, live wake-ups)
 * without a server. The real server is exercised by kurrentdb-event-store.int-spec.ts.
 */

eventStoreContract(
  'kurrentdb adapter on an in-process model of the server',
  async () => {
    const store = new KurrentDbEventStore(new FakeKurrentServer().client());
    return { store, cleanup: () => store.close() };
  },
  // Fresh model per test, so "exclusive" holds; KurrentDB keeps event ids unique per stream only.
  { exclusive: true, globallyUniqueEventIds: false },
);

describe('KurrentDbEventStore specifics (model of the server)', () => {
  let server: FakeKurrentServer;
  let store: KurrentDbEventStore;
  let liveErrors: unknown[];

  beforeEach(() => {
    server = new FakeKurrentServer({ systemNoisePerAppend: 5 });
    liveErrors = [];
    // No safety-net poll: a subscription only wakes on its own appends or the live $all subscription.
    store = new KurrentDbEventStore(server.client(), {
      pollIntervalMs: 0,
      reconnectDelayMs: 100,
      onLiveError: (e) => liveErrors.push(e),
    });
  });
  afterEach(() => store.close());

  it("uses the records' commit positions (byte offsets with gaps) as positions", async () => {
    const r = await store.append('booking-seat-1', [event('A'), event('B')], 'no_stream');
    const commits = server
      .records()
      .filter((x) => x.streamId === 'booking-seat-1')
      .map((x) => Number(x.commit));
    const read = await store.readStream('booking-seat-1');
    expect(read.map((e) => e.position)).toEqual(commits);
    expect(r.position).toBe(commits[1]);
    expect(commits[1] - commits[0]).toBeGreaterThan(1);
  });

  it('returns the position of the last event of a batch, not the first the server reports', async () => {
    const r = await store.append('s', [event('A'), event('B'), event('C')], 'no_stream');
    const read = await store.readStream('s');
    expect(r).toEqual({ nextRevision: 2, position: read[2].position });
  });

  it('never returns system records from readAll, and pages across runs of them', async () => {
    for (let i = 0; i < 12; i++) await store.append(`wallet-u${i % 3}`, [event('Charged', { i })], 'any');
    const systemCount = server.records().filter((r) => r.streamId.startsWith('$') || r.type.startsWith('$')).length;
    expect(systemCount).toBeGreaterThan(12 * 5);
    const seen: StoredEvent[] = [];
    let after = 0;
    for (;;) {
      const page = await store.readAll(after, 1);
      if (page.length === 0) break;
      seen.push(...page);
      after = page[0].position;
    }
    expect(seen.map((e) => (e.data as { i: number }).i)).toEqual([...Array(12).keys()]);
    expect(seen.every((e) => !e.streamId.startsWith('$') && !e.type.startsWith('$'))).toBe(true);
  });

  it('reads strictly after `after` although the server read is inclusive', async () => {
    const r1 = await store.append('x', [event('A')], 'no_stream');
    const r2 = await store.append('x', [event('B')], 0);
    expect((await store.readAll(r1.position, 10)).map((e) => e.position)).toEqual([r2.position]);
    expect(await store.readAll(r2.position, 10)).toEqual([]);
  });

  it('puts the head at the last non-system event, past any system records after it', async () => {
    expect(await store.headPosition()).toBe(0);
    const r = await store.append('x', [event('A')], 'no_stream');
    // Then more records of $-streams with ordinary types than one backwards page holds: the
    // server filter (on types) lets them through, the adapter skips them and pages on.
    const other = new KurrentDbEventStore(server.client());
    for (let i = 0; i < 40; i++) await other.append(`$internal-${i}`, [event('Noise')], 'any');
    await other.close();
    expect(await store.headPosition()).toBe(r.position);
  });

  it('answers a retry the server rejects as a conflict with the original result', async () => {
    const strict = new FakeKurrentServer({ idempotentReplays: false });
    const s = new KurrentDbEventStore(strict.client());
    try {
      const events = [event('A'), event('B')];
      const first = await s.append('idem', events, 'no_stream');
      expect(await s.append('idem', events, 'no_stream')).toEqual(first);
      await s.append('idem', [event('C')], 1);
      expect(await s.append('idem', events, 'no_stream')).toEqual(first);
      const other = await s.append('idem', [event('D')], 'no_stream').catch((e: unknown) => e);
      expect(other).toBeInstanceOf(WrongExpectedRevisionError);
      expect(other).toMatchObject({ expected: 'no_stream', actual: 2 });
    } finally {
      await s.close();
    }
  });

  it('handles conflicts reported as results (throwOnAppendFailure=false) like thrown ones', async () => {
    const lenient = new FakeKurrentServer({ throwOnAppendFailure: false });
    const s = new KurrentDbEventStore(lenient.client());
    try {
      const events = [event('A'), event('B'), event('C')];
      const first = await s.append('x', events, 'no_stream');
      expect(await s.append('x', events.slice(0, 2), 'no_stream')).toEqual({
        nextRevision: 1,
        position: (await s.readStream('x'))[1].position,
      });
      expect(first.nextRevision).toBe(2);
      await expect(s.append('x', [event('D')], 0)).rejects.toMatchObject({
        name: 'WrongExpectedRevisionError',
        expected: 0,
        actual: 2,
      });
      await expect(s.append('missing', [event('D')], 4)).rejects.toMatchObject({ expected: 4, actual: -1 });
    } finally {
      await s.close();
    }
  });

  it('keeps the schema version and envelope in the event metadata', async () => {
    const e = { ...event('TokenExpired', { tokenId: 't' }), version: 1 };
    await store.append('queue-token-t', [e], 'no_stream');
    const [read] = await store.readStream('queue-token-t');
    expect(read).toMatchObject({ id: e.id, type: 'TokenExpired', version: 1, data: e.data, metadata: e.metadata });
  });

  it('wakes subscriptions on writes from another process through the live $all subscription', async () => {
    const received: StoredEvent[] = [];
    const sub = store.subscribeAll(await store.headPosition(), (e) => {
      received.push(e);
    });
    const other = new KurrentDbEventStore(server.client());
    try {
      await new Promise((r) => setTimeout(r, 20));
      expect(server.liveSubscriptionCount()).toBe(1);
      const r1 = await other.append('booking-seat-9', [event('SeatHeld')], 'no_stream');
      await waitFor(() => received.some((e) => e.position === r1.position));

      // A dropped live subscription is re-opened, and nothing written meanwhile is lost.
      server.failLiveSubscriptions();
      const r2 = await other.append('booking-seat-9', [event('SeatReleased')], 0);
      await waitFor(() => received.some((e) => e.position === r2.position));
      expect(received.map((e) => e.type)).toEqual(['SeatHeld', 'SeatReleased']);
      expect(liveErrors).toHaveLength(1);
      expect(server.liveSubscriptionCount()).toBe(1);
    } finally {
      await sub.close();
      await other.close();
    }
    expect(server.liveSubscriptionCount()).toBe(0);
  });

  it('refuses an append that repeats an event id or is empty', async () => {
    const e = event('A');
    await expect(store.append('x', [e, { ...e }], 'no_stream')).rejects.toThrow(/repeats an event id/);
    await expect(store.append('x', [], 'no_stream')).rejects.toThrow(/at least one event/);
    expect(await store.readStream('x')).toEqual([]);
  });
});

function event(type: string, data: Record<string, unknown> = {}): NewEvent {
  const id = randomUUID();
  return { id, type, version: 1, data, metadata: { occurredAt: new Date().toISOString(), correlationId: id, causationId: id } };
}

async function waitFor(predicate: () => boolean, timeoutMs = 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
