import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventStoreContract } from '../../event-store.contract';
import { SqliteEventStore } from './sqlite-event-store';

function tempStore(): { store: SqliteEventStore; dir: string; cleanup: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-store-'));
  const store = new SqliteEventStore(join(dir, 'events.db'));
  return {
    store,
    dir,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An event to append; `n` gives it some nested data, to compare what subscribers get with what is stored. */
const event = (id: string, n = 0) => ({
  id,
  type: 'Happened',
  version: 1,
  data: { id, n, nested: { list: [n, n + 1] } },
  metadata: { occurredAt: new Date(0).toISOString(), correlationId: id, causationId: id },
});

eventStoreContract('sqlite', async () => tempStore(), { globallyUniqueEventIds: false });

describe('sqlite: prefix-filtered subscriptions', () => {
  it('delivers only its prefix, at the edges of the range too, and catches up past other streams', async () => {
    const { store, cleanup } = tempStore();
    try {
      const seen: string[] = [];
      await store.append('queue-a', [event('e1')], 'no_stream');
      await store.append('queue.b', [event('e2')], 'no_stream');
      await store.append('queuf', [event('e3')], 'no_stream');
      await store.append('queue-', [event('e4')], 'no_stream');
      await store.append('booking-x', [event('e5')], 'no_stream');
      const sub = store.subscribeAll(0, (e) => void seen.push(e.id), { streamPrefixes: ['queue-'] });
      await sub.caughtUpTo(await store.headPosition());
      expect(seen).toEqual(['e1', 'e4']);
      const last = await store.append('wallet-y', [event('e6')], 'no_stream');
      await sub.caughtUpTo(last.position);
      await store.append('queue-c', [event('e7')], 'no_stream');
      await sub.caughtUpTo(await store.headPosition());
      expect(seen).toEqual(['e1', 'e4', 'e7']);
      await sub.close();
    } finally {
      await cleanup();
    }
  });
});

describe('sqlite: live delivery of committed batches', () => {
  it('hands a keeping-up subscriber each batch as stored (multi-event appends, conflicts, replays) without reading it back', async () => {
    const { store, cleanup } = tempStore();
    try {
      await store.append('queue-a', [event('a0')], 'no_stream');
      const all: unknown[] = [];
      const mine: unknown[] = [];
      const subAll = store.subscribeAll(0, (e) => void all.push(e));
      const subMine = store.subscribeAll(0, (e) => void mine.push(e), { streamPrefixes: ['queue-'] });
      await subAll.caughtUpTo(await store.headPosition());
      await subMine.caughtUpTo(await store.headPosition());
      const probe = new Database(':memory:');
      const statement = Object.getPrototypeOf(probe.prepare('SELECT 1')) as { all: () => unknown; get: () => unknown };
      probe.close();
      const reads = [jest.spyOn(statement, 'all'), jest.spyOn(statement, 'get')];
      // One batch: appends queued in the same turn are committed together.
      const outcomes = await Promise.allSettled([
        store.append('queue-a', [event('a1', 1), event('a2', 2)], 0),
        store.append('queue-a', [event('x', 9)], 0), // conflict: rolled back alone
        store.append('booking-b', [event('b0', 3)], 'no_stream'),
        store.append('queue-a', [event('a0')], 'no_stream'), // replay of an existing event: nothing new
        store.append('queue-c', [event('c0', 4), event('c1', 5), event('c2', 6)], 'any'),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
      const head = await store.headPosition();
      await subAll.caughtUpTo(head);
      await subMine.caughtUpTo(head);
      expect(reads.map((r) => r.mock.calls.length)).toEqual([0, 0]);
      reads.forEach((r) => r.mockRestore());
      const stored = await store.readAll(0, 100);
      expect(stored.map((e) => e.id)).toEqual(['a0', 'a1', 'a2', 'b0', 'c0', 'c1', 'c2']);
      expect(all).toEqual(stored);
      expect(mine).toEqual(stored.filter((e) => e.streamId.startsWith('queue-')));
      await subAll.close();
      await subMine.close();
    } finally {
      await cleanup();
    }
  });

  it('a subscriber that starts behind reads from disk and then joins the live batches', async () => {
    const { store, cleanup } = tempStore();
    try {
      for (let i = 0; i < 30; i++) await store.append(`queue-${i % 3}`, [event(`e${i}`, i)], 'any');
      const seen: unknown[] = [];
      const sub = store.subscribeAll(5, (e) => void seen.push(e));
      const more = await Promise.all([0, 1, 2].map((i) => store.append('queue-z', [event(`z${i}`, i)], 'any')));
      await sub.caughtUpTo(Math.max(...more.map((r) => r.position)));
      expect(seen).toEqual(await store.readAll(5, 100));
      await sub.close();
    } finally {
      await cleanup();
    }
  });
});

describe('sqlite: a store created with the earlier schema (event ids unique across the store)', () => {
  it('keeps working: an append clashing on the old index is refused alone, nothing of it written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlite-legacy-'));
    const file = join(dir, 'events.db');
    const old = new Database(file);
    old.exec(`CREATE TABLE events (
      position INTEGER PRIMARY KEY AUTOINCREMENT, stream_id TEXT NOT NULL, revision INTEGER NOT NULL,
      id TEXT NOT NULL UNIQUE, type TEXT NOT NULL, version INTEGER NOT NULL, data TEXT NOT NULL,
      metadata TEXT NOT NULL, UNIQUE (stream_id, revision))`);
    old.close();
    const store = new SqliteEventStore(file);
    try {
      await store.append('one', [event('known')], 'no_stream');
      const outcomes = await Promise.allSettled([
        store.append('n-0', [event('e0')], 'no_stream'),
        store.append('two', [event('fresh'), event('known')], 'no_stream'),
        store.append('n-1', [event('e1')], 'no_stream'),
      ]);
      expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(await store.readStream('two')).toEqual([]);
      expect((await store.readAll(0, 100)).map((e) => e.id)).toEqual(['known', 'e0', 'e1']);
      expect(await store.append('one', [event('known')], 'no_stream')).toEqual({ nextRevision: 0, position: 1 });
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
