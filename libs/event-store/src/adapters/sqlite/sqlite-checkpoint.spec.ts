import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from './sqlite-event-store';

const PAGE = 4096;

const event = () => ({
  id: randomUUID(),
  type: 'Happened',
  version: 1,
  data: { text: 'x'.repeat(200) },
  metadata: { occurredAt: new Date(0).toISOString(), correlationId: randomUUID(), causationId: randomUUID() },
});

const sizeOf = (file: string): number => (existsSync(file) ? statSync(file).size : 0);

/** A hundred events on as many new streams, appended together. */
const appendHundred = (store: SqliteEventStore) =>
  Promise.all(Array.from({ length: 100 }, () => store.append(`s-${randomUUID()}`, [event()], 'no_stream')));

/**
 * Checkpoints run on the checkpointer thread, asked every `checkpointEvery` events, instead of inside the
 * commit that fills SQLite's 1,000 pages of WAL (see sqlite-writer.worker.js).
 */
describe('sqlite: checkpoints off the writer', () => {
  jest.setTimeout(60_000);
  let dir: string;
  let file: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sqlite-checkpoint-'));
    file = join(dir, 'events.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('copies the WAL into the database file every checkpointEvery events, long before 1,000 pages', async () => {
    const store = new SqliteEventStore(file, { checkpointEvery: 100 });
    try {
      const empty = sizeOf(file);
      // A pass is asked for at a commit, once the last one is done (the first waits for the thread to
      // start): keep committing, a hundred events at a time, until the passes have reached the file.
      let appended = 0;
      let maxWal = 0;
      while (sizeOf(file) <= empty + 100 * PAGE && appended < 3000) {
        await appendHundred(store);
        appended += 100;
        maxWal = Math.max(maxWal, sizeOf(`${file}-wal`));
        await new Promise((r) => setTimeout(r, 20));
      }
      expect(sizeOf(file)).toBeGreaterThan(empty + 100 * PAGE);
      // SQLite's own checkpoint would have waited for 1,000 pages of WAL.
      expect(maxWal).toBeLessThan(1000 * PAGE);
      expect((await store.readAll(0, 5000)).length).toBe(appended);
    } finally {
      await store.close();
    }
  });

  it('keeps the WAL file bounded while appends never pause, and loses nothing', async () => {
    // Restarts once it holds twice checkpointEvery pages: 400 pages here.
    const store = new SqliteEventStore(file, { checkpointEvery: 200 });
    try {
      let maxWal = 0;
      const sampler = setInterval(() => (maxWal = Math.max(maxWal, sizeOf(`${file}-wal`))), 5);
      // 30,000 events, 100 appends of 3 events always queued: the writer is never idle.
      const streams: string[] = [];
      let next = 0;
      const worker = async () => {
        while (next < 10_000) {
          next++;
          const stream = `s-${randomUUID()}`;
          streams.push(stream);
          await store.append(stream, [event(), event(), event()], 'no_stream');
        }
      };
      await Promise.all(Array.from({ length: 100 }, worker));
      clearInterval(sampler);
      maxWal = Math.max(maxWal, sizeOf(`${file}-wal`));
      // Unchecked, these 30,000 events would leave well over 10,000 pages in the WAL.
      expect(maxWal).toBeLessThan(3000 * PAGE);
      expect(await store.headPosition()).toBe(30_000);
      const sample = streams.filter((_, i) => i % 500 === 0);
      for (const stream of sample) expect((await store.readStream(stream)).length).toBe(3);
    } finally {
      await store.close();
    }
  });

  it('with checkpointEvery 0 leaves checkpoints to SQLite, inside the commit', async () => {
    const store = new SqliteEventStore(file, { checkpointEvery: 0 });
    try {
      const empty = sizeOf(file);
      // 1,000 events: a few hundred pages, under SQLite's own 1,000-page mark.
      for (let i = 0; i < 10; i++) await appendHundred(store);
      await new Promise((r) => setTimeout(r, 300));
      // Under 1,000 pages of WAL: nothing was copied yet.
      expect(sizeOf(file)).toBe(empty);
      expect((await store.readAll(0, 2000)).length).toBe(1000);
    } finally {
      await store.close();
    }
  });
});
