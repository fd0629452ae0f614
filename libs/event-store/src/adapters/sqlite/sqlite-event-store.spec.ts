import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { eventStoreContract } from '../../event-store.contract';
import { RequiredEventMissingError, WrongExpectedRevisionError } from '../../event-store.port';
import { encodeBatch, SqliteEventStore } from './sqlite-event-store';

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

eventStoreContract('sqlite', async () => tempStore(), { globallyUniqueEventIds: false, keepsAppendOrder: true });

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

describe('sqlite: streams kept in memory', () => {
  it('reads a cached stream as the file holds it: after appends, conflicts, replays, reads racing a commit, eviction', async () => {
    const { store, dir, cleanup } = tempStore();
    try {
      const streams = Array.from({ length: 40 }, (_, i) => `cache-${i}`);
      const revisions = new Map<string, number>();
      let id = 0;
      const later = (ms: number) => new Promise((resolve) => (ms ? setTimeout(resolve, ms) : setImmediate(resolve)));
      for (let round = 0; round < 36; round++) {
        // Appends to every stream at once (one batch), with reads of the same streams while they commit.
        const appends = streams.map((s, i) => {
          const current = revisions.get(s) ?? -1;
          const events = Array.from({ length: 1 + ((i + round) % 3) }, () => event(`c${id++}`, round));
          return store.append(s, events, current === -1 ? 'no_stream' : current).then((r) => revisions.set(s, r.nextRevision));
        });
        const racing = streams.filter((_, i) => i % 4 === round % 4).map((s, i) => later(i % 3).then(() => store.readStream(s)));
        // A stale expected revision conflicts and changes nothing; a retried append is recognised.
        const stale = store.append(streams[round % streams.length], [event(`stale${round}`)], 'no_stream').catch((e) => e);
        await Promise.all([...appends, ...racing]);
        expect(await stale).toBeInstanceOf(Error);
      }
      const fresh = new SqliteEventStore(join(dir, 'events.db'), { pollIntervalMs: 1_000 });
      try {
        for (const s of streams) {
          const fromFile = await fresh.readStream(s);
          expect(await store.readStream(s)).toEqual(fromFile);
          expect(await store.readStream(s, 5)).toEqual(fromFile.filter((e) => e.revision >= 5));
          // Streams past the in-memory limit (64 events) are read from the file: still the same.
          expect(fromFile.length).toBeGreaterThan(64);
        }
      } finally {
        await fresh.close();
      }
    } finally {
      await cleanup();
    }
  });

  it('a read between a commit and its reply caches the new events once', async () => {
    const { store, dir, cleanup } = tempStore();
    const look = new Database(join(dir, 'events.db'));
    try {
      // A stream from before this store opened (not in its memory): written straight into the file.
      const r0 = event('r0');
      look
        .prepare('INSERT INTO events (stream_id, revision, id, type, version, data, metadata) VALUES (?, 0, ?, ?, 1, ?, ?)')
        .run('raced', r0.id, r0.type, JSON.stringify(r0.data), JSON.stringify(r0.metadata));
      const appended = store.append('raced', [event('r1'), event('r2')], 0);
      await new Promise((resolve) => setImmediate(resolve)); // the batch has gone to the writer
      // Hold this thread until the writer has committed, then read before its reply is handled.
      const count = look.prepare<[], { n: number }>("SELECT COUNT(*) AS n FROM events WHERE stream_id = 'raced'");
      const deadline = Date.now() + 10_000;
      while (count.get()?.n !== 3 && Date.now() < deadline) {
        /* the writer thread commits meanwhile */
      }
      const during = store.readStream('raced');
      await appended;
      expect((await during).map((e) => e.id)).toEqual(['r0', 'r1', 'r2']);
      expect((await store.readStream('raced')).map((e) => e.revision)).toEqual([0, 1, 2]);
      await store.append('raced', [event('r3')], 2);
      expect((await store.readStream('raced')).map((e) => e.id)).toEqual(['r0', 'r1', 'r2', 'r3']);
    } finally {
      look.close();
      await cleanup();
    }
  });

  it('a full cache drops its least recently used streams, a sixteenth of them at a time', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlite-store-'));
    const store = new SqliteEventStore(join(dir, 'events.db'), { cachedStreams: 32 });
    try {
      const queries = jest.spyOn((store as unknown as { stmts: { readStream: { all: () => unknown } } }).stmts.readStream, 'all');
      for (let i = 0; i < 32; i++) await store.append(`s${i}`, [event(`e${i}`)], 'no_stream');
      await store.readStream('s0'); // now the most recently used
      await store.append('s32', [event('e32')], 'no_stream'); // 33 streams: the two least recently used go
      for (const s of ['s0', 's3', 's31', 's32']) await store.readStream(s);
      expect(queries).not.toHaveBeenCalled();
      expect((await store.readStream('s1')).map((e) => e.id)).toEqual(['e1']);
      expect((await store.readStream('s2')).map((e) => e.id)).toEqual(['e2']);
      expect(queries).toHaveBeenCalledTimes(2);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a stream it created, or read and then wrote, without a query', async () => {
    const { store, cleanup } = tempStore();
    try {
      const queries = jest.spyOn((store as unknown as { stmts: { readStream: { all: () => unknown } } }).stmts.readStream, 'all');
      await store.append('created', [event('c1', 1), event('c2', 2)], 'no_stream');
      expect((await store.readStream('created')).map((e) => [e.id, e.revision])).toEqual([
        ['c1', 0],
        ['c2', 1],
      ]);
      expect(queries).not.toHaveBeenCalled();
      await store.readStream('other');
      await store.append('other', [event('o1')], 'no_stream');
      await store.append('other', [event('o2')], 0);
      expect((await store.readStream('other')).map((e) => e.id)).toEqual(['o1', 'o2']);
      expect(queries).toHaveBeenCalledTimes(1);
    } finally {
      await cleanup();
    }
  });

  it('hands out parsed copies, and a stream read before it existed is written through', async () => {
    const { store, cleanup } = tempStore();
    try {
      expect(await store.readStream('late')).toEqual([]);
      await store.append('late', [event('l1', 1)], 'no_stream');
      const [first] = await store.readStream('late');
      expect(first).toMatchObject({ id: 'l1', revision: 0, data: { n: 1 } });
      (first.data as { n: number }).n = 99;
      expect((await store.readStream('late'))[0].data).toEqual({ id: 'l1', n: 1, nested: { list: [1, 2] } });
      await store.append('late', [event('l2', 2)], 0);
      expect((await store.readStream('late')).map((e) => e.id)).toEqual(['l1', 'l2']);
    } finally {
      await cleanup();
    }
  });
});

describe('sqlite: the one writer of its file', () => {
  it("says so alone on its file, and not when it polls for other processes' writes", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlite-sole-'));
    const alone = new SqliteEventStore(join(dir, 'events.db'));
    const shared = new SqliteEventStore(join(dir, 'events.db'), { pollIntervalMs: 1_000 });
    try {
      expect(alone.soleWriter).toBe(true);
      expect(shared.soleWriter).toBe(false);
    } finally {
      await shared.close();
      await alone.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sqlite: close', () => {
  it('keeps a process with nothing else to do alive until the writer has closed: the script goes on after it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sqlite-close-'));
    try {
      const script =
        `const { SqliteEventStore } = require(${JSON.stringify(join(__dirname, 'sqlite-event-store.ts'))});` +
        `(async () => { const store = new SqliteEventStore(${JSON.stringify(join(dir, 'events.db'))});` +
        `await store.close(); console.log('after close'); })();`;
      const register = join(__dirname, '..', '..', '..', '..', '..', 'tools', 'register.js');
      const out = execFileSync(process.execPath, ['-r', register, '-e', script], { encoding: 'utf8', timeout: 60_000 });
      expect(out.trim()).toBe('after close');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sqlite: batches in flight', () => {
  it('answers each append of overlapping batches with its own position, in the order sent, and close waits for all', async () => {
    const { store, dir, cleanup } = tempStore();
    let closed = false;
    try {
      const results: Promise<{ id: string; position: number; nextRevision: number }>[] = [];
      // Waves of appends on successive turns: while one batch commits the next is already with the writer.
      for (let wave = 0; wave < 12; wave++) {
        for (let i = 0; i < 1 + (wave % 4) * 7; i++) {
          const id = `w${wave}-${i}`;
          results.push(store.append(`wave-${wave}-${i}`, [event(id, wave)], 'no_stream').then((r) => ({ id, ...r })));
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
      const last = store.append('wave-last', [event('last')], 'no_stream');
      await store.close();
      closed = true;
      expect(await last).toMatchObject({ nextRevision: 0 });
      const answered = await Promise.all(results);
      const db = new Database(join(dir, 'events.db'), { readonly: true });
      try {
        const rows = db.prepare('SELECT position, id FROM events ORDER BY position').all() as { position: number; id: string }[];
        const byPosition = new Map(rows.map((r) => [r.position, r.id]));
        for (const a of answered) expect(byPosition.get(a.position)).toBe(a.id);
        // Committed in the order they were sent.
        expect(rows.map((r) => r.id)).toEqual([...answered.map((a) => a.id), 'last']);
      } finally {
        db.close();
      }
    } finally {
      if (!closed) await cleanup();
      else rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('sqlite: batches framed for the writer', () => {
  it('frames each append and event with data and metadata as their JSON text', () => {
    const e = event('e1', 2);
    const framed = encodeBatch(7, [
      { streamId: 's-1', expected: 'no_stream', events: [e] },
      { streamId: 's-2', expected: 'any', events: [] },
      { streamId: 's-3', expected: 4, events: [e, e], after: { streamId: 'p-1', eventId: 'e0' } },
    ]);
    const fields = framed.split('\u0001');
    expect(fields.slice(0, 3)).toEqual(['B', '7', '3']);
    expect(fields.slice(3, 8)).toEqual(['s-1', 'n', '', '', '1']);
    expect(fields.slice(8, 13)).toEqual(['e1', 'Happened', '1', JSON.stringify(e.data), JSON.stringify(e.metadata)]);
    expect(fields.slice(13, 18)).toEqual(['s-2', 'a', '', '', '0']);
    expect(fields.slice(18, 23)).toEqual(['s-3', '4', 'p-1', 'e0', '2']);
    expect(fields).toHaveLength(33);
  });

  it('sends a batch whose names hold the separator or are not strings, whose version or expected revision is not an integer (or any, no_stream) or whose data stringifies to nothing, as JSON', () => {
    const e = event('e1');
    for (const odd of [
      { streamId: 'a\u0001b', expected: 'any' as const, events: [e] },
      { streamId: 's', expected: 'any' as const, events: [{ ...e, id: 'x\u0001' }] },
      { streamId: 's', expected: 'any' as const, events: [{ ...e, type: '\u0001' }] },
      { streamId: 's', expected: 'any' as const, events: [{ ...e, data: undefined as unknown as object }] },
      { streamId: 's', expected: 'any' as const, events: [{ ...e, id: undefined as unknown as string }] },
      { streamId: 's', expected: 'any' as const, events: [{ ...e, version: undefined as unknown as number }] },
      { streamId: 7 as unknown as string, expected: 'any' as const, events: [e] },
      { streamId: 's', expected: undefined as unknown as number, events: [e] },
      { streamId: 's', expected: '5' as unknown as number, events: [e] },
      { streamId: 's', expected: 1.5, events: [e] },
      { streamId: 's', expected: 'any' as const, events: [e], after: { streamId: '', eventId: 'e0' } },
      { streamId: 's', expected: 'any' as const, events: [e], after: { streamId: 'p\u0001', eventId: 'e0' } },
      { streamId: 's', expected: 'any' as const, events: [e], after: { streamId: 'p', eventId: 7 as unknown as string } },
    ]) {
      const json = JSON.parse(encodeBatch(1, [odd]));
      expect(json).toEqual({ type: 'commit', batch: 1, appends: [JSON.parse(JSON.stringify(odd))] });
    }
  });

  it('checks `after` in the writer, framed and the JSON way, in the order the appends were queued', async () => {
    const { store, cleanup } = tempStore();
    try {
      const first = event('p0');
      // Queued in one tick: the required event is decided first and goes in the same commit.
      const [p, w, odd] = await Promise.all([
        store.append('payment-1', [first], 'no_stream'),
        store.append('wallet-1', [event('w0')], 'no_stream', { after: { streamId: 'payment-1', eventId: 'p0' } }),
        store.append('odd\u0001wallet', [event('w1')], 'no_stream', { after: { streamId: 'payment-1', eventId: 'p0' } }),
      ]);
      expect(w.position).toBe(p.position + 1);
      expect(odd.position).toBe(p.position + 2);
      // The required append refused in one batch, the dependent one sent in the next (both in flight).
      const refused = store.append('payment-1', [event('p1')], 'no_stream');
      await new Promise((r) => setImmediate(r));
      const dependent = store.append('wallet-2', [event('w2')], 'no_stream', { after: { streamId: 'payment-1', eventId: 'p1' } });
      await expect(refused).rejects.toBeInstanceOf(WrongExpectedRevisionError);
      await expect(dependent).rejects.toBeInstanceOf(RequiredEventMissingError);
      expect(await store.readStream('wallet-2')).toEqual([]);
      // An 'after' SQLite cannot bind is refused on its own, before it could fail the batch it would go in.
      const [bad, neighbour] = await Promise.allSettled([
        store.append('wallet-3', [event('w3')], 'no_stream', {
          after: { streamId: 'payment-1', eventId: true as unknown as string },
        }),
        store.append('wallet-4', [event('w4')], 'no_stream'),
      ]);
      expect(bad).toMatchObject({ status: 'rejected', reason: { message: expect.stringMatching(/'after' needs/) } });
      expect(neighbour.status).toBe('fulfilled');
    } finally {
      await cleanup();
    }
  });

  it('stores an append queued before its required event in the same commit after that event, chains included', async () => {
    const { store, cleanup } = tempStore();
    try {
      const after = (streamId: string, eventId: string) => ({ after: { streamId, eventId } });
      // Queued in one tick, each before the append it needs: sale after debit after start, release after debit.
      const [sale, release, debit, start, orphan] = await Promise.allSettled([
        store.append('seat-1', [event('s0')], 'no_stream', after('wallet-1', 'd0')),
        store.append('token-1', [event('t0')], 'no_stream', after('wallet-1', 'd0')),
        store.append('wallet-1', [event('d0')], 'no_stream', after('payment-1', 'p0')),
        store.append('payment-1', [event('p0')], 'no_stream'),
        store.append('seat-2', [event('s1')], 'no_stream', after('wallet-1', 'nobody-stores-this')),
      ]);
      const position = (r: PromiseSettledResult<{ position: number }>) => (r.status === 'fulfilled' ? r.value.position : -1);
      expect([sale, release, debit, start].map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
      expect(position(debit)).toBeGreaterThan(position(start));
      expect(position(sale)).toBeGreaterThan(position(debit));
      expect(position(release)).toBeGreaterThan(position(debit));
      expect(orphan).toMatchObject({ status: 'rejected', reason: expect.any(RequiredEventMissingError) });
      expect(await store.readStream('seat-2')).toEqual([]);
      // The store as read back says the same, in position order.
      const all = await store.readAll(0, 100);
      expect(all.map((e) => e.id)).toEqual(['p0', 'd0', 's0', 't0']);

      // A waiting append whose stream a later append of the batch moved on conflicts, as any stale append does.
      const [stale, moved, required] = await Promise.allSettled([
        store.append('seat-3', [event('s2')], 'no_stream', after('payment-2', 'p1')),
        store.append('seat-3', [event('s3')], 'no_stream'),
        store.append('payment-2', [event('p1')], 'no_stream'),
      ]);
      expect([moved.status, required.status]).toEqual(['fulfilled', 'fulfilled']);
      expect(stale).toMatchObject({ status: 'rejected', reason: expect.any(WrongExpectedRevisionError) });

      // One that may go anywhere in its stream ('any') lands after a later append to it: the stream as
      // cached for reads is the stream as stored.
      const [waited, first] = await Promise.all([
        store.append('cart-1', [event('c1')], 'any', after('payment-3', 'p2')),
        store.append('cart-1', [event('c0')], 'any'),
        store.append('payment-3', [event('p2')], 'no_stream'),
      ]);
      expect([first.nextRevision, waited.nextRevision]).toEqual([0, 1]);
      expect((await store.readStream('cart-1')).map((e) => [e.id, e.revision])).toEqual([
        ['c0', 0],
        ['c1', 1],
      ]);
    } finally {
      await cleanup();
    }
  });

  it('refuses an event without an id and keeps going (nothing malformed reaches the writer framed)', async () => {
    const { store, cleanup } = tempStore();
    try {
      const noId = { ...event('e1'), id: undefined as unknown as string };
      await expect(store.append('s', [noId], 'no_stream')).rejects.toThrow();
      await expect(store.append('s', [event('e2')], 'no_stream')).resolves.toMatchObject({ nextRevision: 0 });
      expect((await store.readStream('s')).map((e) => e.id)).toEqual(['e2']);
    } finally {
      await cleanup();
    }
  });

  it('refuses an append without a valid expected revision as a conflict instead of writing it', async () => {
    const { store, cleanup } = tempStore();
    try {
      await store.append('s', [event('e1')], 'no_stream');
      // Framed, `undefined` read back as 0: the append was written at revision 1 as if 0 had been expected.
      await expect(store.append('s', [event('e2')], undefined as unknown as number)).rejects.toThrow(/expected revision/);
      expect((await store.readStream('s')).map((e) => e.id)).toEqual(['e1']);
    } finally {
      await cleanup();
    }
  });

  it('refuses an append whose data JSON cannot write, and commits the others of its batch', async () => {
    const { store, cleanup } = tempStore();
    try {
      const results = await Promise.allSettled([
        store.append('a', [event('e1')], 'no_stream'),
        store.append('b', [{ ...event('e2'), data: { n: BigInt(1) } }], 'no_stream'),
        store.append('c', [event('e3')], 'no_stream'),
      ]);
      expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
      expect(String((results[1] as PromiseRejectedResult).reason)).toMatch(/BigInt/);
      expect((await store.readStream('b')).length).toBe(0);
      await expect(store.append('b', [event('e4')], 'no_stream')).resolves.toMatchObject({ nextRevision: 0 });
    } finally {
      await cleanup();
    }
  });

  it('the writer answers a batch it cannot read with a failure and goes on', async () => {
    // The store made the file; a second writer on it stands in for the store's own.
    const { dir, cleanup } = tempStore();
    const writer = new Worker(join(__dirname, 'sqlite-writer.worker.js'), { workerData: { file: join(dir, 'events.db') } });
    try {
      const reply = (message: unknown) =>
        new Promise<{ type: string; message?: string }>((resolve) => {
          writer.once('message', resolve);
          writer.postMessage(message);
        });
      expect(await reply('B\u00011\u00012\u0001only-a-stream')).toMatchObject({ type: 'failed', message: /could not read/ });
      expect(await reply(encodeBatch(2, [{ streamId: 's', expected: 'no_stream', events: [event('e1')] }]))).toMatchObject({
        type: 'committed',
        outcomes: [{ ok: true, nextRevision: 0 }],
      });
    } finally {
      await writer.terminate();
      await cleanup();
    }
  });

  it('stores what a read gives back, the separator inside data, in names (the JSON way) and in a batch with both', async () => {
    const { store, dir, cleanup } = tempStore();
    try {
      const tricky = {
        ...event('e1'),
        data: { text: 'a\u0001b\u0002c', quote: '"\\', unicode: 'é😀', empty: '', list: [], deep: { n: -0, big: 1e21 } },
      };
      const named = { ...event('e\u00012'), type: 'Odd\u0001Type' };
      // Alone, the tricky data goes framed; appended together (without awaiting, one batch), both go as JSON.
      await store.append('plain', [tricky], 'no_stream');
      const [a, b] = await Promise.all([
        store.append('plain', [tricky], 0),
        store.append('odd\u0001stream', [named], 'no_stream'),
      ]);
      expect([a.nextRevision, b.nextRevision]).toEqual([1, 0]);
      const other = new SqliteEventStore(join(dir, 'events.db'), { pollIntervalMs: 1000 });
      try {
        const stored = await other.readStream('plain');
        expect(stored.map((e) => e.data)).toEqual([1, 2].map(() => JSON.parse(JSON.stringify(tricky.data))));
        expect(stored.map((e) => e.metadata)).toEqual([tricky.metadata, tricky.metadata]);
        const [odd] = await other.readStream('odd\u0001stream');
        expect(odd).toMatchObject({ id: 'e\u00012', type: 'Odd\u0001Type', data: named.data });
      } finally {
        await other.close();
      }
    } finally {
      await cleanup();
    }
  });
});
