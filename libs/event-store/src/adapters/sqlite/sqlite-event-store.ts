import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { NewEvent, StoredEvent } from '@concert/contracts';
import {
  AppendOptions,
  AppendResult,
  EventHandler,
  EventRef,
  EventStore,
  ExpectedRevision,
  RequiredEventMissingError,
  SubscribeOptions,
  Subscription,
  WrongExpectedRevisionError,
} from '../../event-store.port';
import { FilteredPage, PullSubscription } from '../../live-subscription';

interface PendingAppend {
  streamId: string;
  events: NewEvent[];
  expected: ExpectedRevision;
  after?: EventRef;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

type Outcome =
  | { ok: true; nextRevision: number; position: number; replayed?: boolean }
  | { ok: false; kind: 'conflict'; streamId: string; expected: ExpectedRevision; actual: number }
  | { ok: false; kind: 'missing' }
  | { ok: false; kind: 'error'; message: string };

type WriterReply =
  | { type: 'committed'; batch: number; outcomes: Outcome[]; before: number; after: number }
  | { type: 'failed'; batch: number | null; message: string }
  | { type: 'closed' };

interface Row {
  position: number;
  stream_id: string;
  revision: number;
  id: string;
  type: string;
  version: number;
  data: string;
  metadata: string;
}

/** A committed batch as its subscribers will see it: the events in (before, after], in order. */
interface CommittedPage {
  before: number;
  after: number;
  events: StoredEvent[];
}

/** Committed batches kept for live subscribers, so a subscriber that keeps up never reads its events back. */
const RECENT_PAGES = 16;
/** The next batch goes to the writer while the one before it commits: the writer never waits for this thread. */
const MAX_BATCHES_IN_FLIGHT = 2;
/** Streams kept in memory (least recently used out) while this process is alone on the file. */
const CACHED_STREAMS = 8_192;
/**
 * A full cache drops its oldest sixteenth at once. A Map keeps deleted entries as holes at its front
 * until it rehashes, so dropping one key per insert walks past thousands of holes each time (4.8 µs per
 * insert at 8,192 streams, against 0.4 µs in chunks).
 */
const EVICTED_TOGETHER = 1 / 16;
/** A longer stream is read from the file each time rather than held in memory. */
const CACHED_STREAM_MAX_EVENTS = 64;

export interface SqliteEventStoreOptions {
  /** Poll for events written by other processes sharing the file (ms); off by default. */
  pollIntervalMs?: number;
  /** How many streams are kept in memory (default 8,192). */
  cachedStreams?: number;
  /**
   * Appended events between two checkpoints, which a thread of their own runs (default 4,096; see
   * sqlite-writer.worker.js); 0 leaves them to SQLite, inside the commit that fills 1,000 pages of WAL.
   */
  checkpointEvery?: number;
}

/**
 * The embedded event store: one table, global position + unique (stream, revision).
 * Appends go to a writer thread that commits each batch of concurrent appends in one transaction
 * with synchronous=FULL: one fsync acknowledges the whole batch, and the event loop keeps serving
 * requests (and gathering the next batch, which may go to the writer before the last one has committed:
 * the writer commits them in order) while the disk syncs. Reads use this thread's connection.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private readonly writer: Worker;
  private queue: PendingAppend[] = [];
  /** Batches sent to the writer and not yet answered, oldest first (the writer commits them in order). */
  private inFlight: PendingAppend[][] = [];
  private batchNumber = 0;
  private flushScheduled = false;
  private writerError?: Error;
  private readonly subscriptions = new Set<PullSubscription>();
  private readonly stmts;
  private closed = false;
  private drained?: () => void;
  /** The last committed batches, newest last (only while no other process writes the file). */
  private recent: CommittedPage[] = [];
  /** The store's head as this process last saw it commit. */
  private head: number;
  /**
   * Recently read or written streams, in least-recently-used order (only while no other process writes
   * the file: then every append passes through here): rows as read, events as appended. A command's read
   * of its own stream costs no query; each read still gets its own copy of the events.
   */
  private readonly streams = new Map<string, CachedEvent[]>();

  constructor(
    readonly file: string,
    private readonly options: SqliteEventStoreOptions = {},
  ) {
    if (file === ':memory:') throw new Error('SqliteEventStore needs a file (the writer thread opens it too)');
    mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS events (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        stream_id TEXT NOT NULL,
        revision INTEGER NOT NULL,
        id TEXT NOT NULL,
        type TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL,
        metadata TEXT NOT NULL,
        UNIQUE (stream_id, revision)
      );
    `);
    this.stmts = {
      readStream: this.db.prepare<[string, number], Row>(
        'SELECT * FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision',
      ),
      readAll: this.db.prepare<[number, number], Row>('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?'),
      lastPosition: this.db.prepare<[], { p: number | null }>('SELECT MAX(position) AS p FROM events'),
    };
    this.head = this.stmts.lastPosition.get()?.p ?? 0;
    this.writer = new Worker(join(__dirname, 'sqlite-writer.worker.js'), {
      workerData: { file, checkpointEvery: options.checkpointEvery },
    });
    this.writer.on('message', (reply: WriterReply) => this.onWriterReply(reply));
    this.writer.on('error', (err) => this.failWriter(err));
    this.writer.unref();
    this.writer.on('exit', (code) => {
      if (!this.closed) this.failWriter(new Error(`event store writer exited with code ${code}`));
    });
  }

  /** Alone on the file (no polling for other processes' writes): every append passes through here. */
  get soleWriter(): boolean {
    return !this.options.pollIntervalMs;
  }

  /**
   * Queues the append for the next batch. Batches commit in the order they were queued, each append in
   * its batch in the order it came, so an append's `after` is checked once the appends before it were;
   * one whose required event is still missing then is tried again after the rest of its batch (a later
   * append of the same tick may store it: see the writer's commitBatch).
   */
  append(streamId: string, events: NewEvent[], expected: ExpectedRevision, options?: AppendOptions): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('event store closed'));
    if (this.writerError) return Promise.reject(this.writerError);
    if (events.length === 0) return Promise.reject(new Error('append needs at least one event'));
    const after = options?.after;
    // Checked here: the writer would fail the whole batch on a value SQLite cannot bind.
    if (after && !(typeof after.streamId === 'string' && after.streamId && typeof after.eventId === 'string'))
      return Promise.reject(new Error(`append to ${streamId}: 'after' needs a stream id and an event id`));
    return new Promise((resolve, reject) => {
      this.queue.push({ streamId, events, expected, after, resolve, reject });
      if (!this.flushScheduled && this.inFlight.length < MAX_BATCHES_IN_FLIGHT) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Sends the queued appends as one batch, unless the writer already has two to commit. */
  private flush(): void {
    this.flushScheduled = false;
    if (this.inFlight.length >= MAX_BATCHES_IN_FLIGHT || this.queue.length === 0) return;
    let batch = this.queue;
    this.queue = [];
    // One string, not an object graph: structured cloning every event costs the event loop more than
    // stringifying, and the writer thread (on the other core) takes the stored text as it comes.
    let message: string;
    try {
      message = encodeBatch(this.batchNumber + 1, batch);
    } catch {
      // Data JSON cannot write (a BigInt, a cycle): those appends are refused, the others go on.
      batch = batch.filter((p) => {
        try {
          encodeBatch(0, [p]);
          return true;
        } catch (err) {
          p.reject(err);
          return false;
        }
      });
      if (batch.length === 0) return;
      message = encodeBatch(this.batchNumber + 1, batch);
    }
    this.inFlight.push(batch);
    this.batchNumber += 1;
    // Keep the process alive while a commit is pending; an idle writer must not.
    this.writer.ref();
    this.writer.postMessage(message);
  }

  private onWriterReply(reply: WriterReply): void {
    if (reply.type === 'closed') return;
    const batch = this.inFlight.shift() ?? [];
    if (reply.type === 'failed') {
      for (const p of batch) p.reject(new Error(`append failed: ${reply.message}`));
    } else {
      this.remember(batch, reply);
      batch.forEach((p, i) => {
        const outcome = reply.outcomes[i];
        if (outcome.ok) p.resolve({ nextRevision: outcome.nextRevision, position: outcome.position });
        else if (outcome.kind === 'conflict')
          p.reject(new WrongExpectedRevisionError(outcome.streamId, outcome.expected, outcome.actual));
        else if (outcome.kind === 'missing') p.reject(new RequiredEventMissingError(p.streamId, p.after!));
        else p.reject(new Error(outcome.message));
      });
      for (const s of this.subscriptions) s.signal();
    }
    if (this.queue.length) this.flush();
    if (this.inFlight.length === 0 && this.queue.length === 0) {
      this.writer.unref();
      this.drained?.();
    }
  }

  /**
   * Keeps the batch's new events, built from what was appended (no read back, no JSON parse), for the
   * cached streams and for the subscribers that are at `before`. Kept only while no other process writes
   * the file (it would interleave positions this process never sees), and pages only when they are
   * provably all of (before, after].
   */
  private remember(batch: PendingAppend[], reply: WriterReply & { type: 'committed' }): void {
    this.head = Math.max(this.head, reply.after);
    if (this.options.pollIntervalMs) return;
    const groups: StoredEvent[][] = [];
    let inOrder = true;
    batch.forEach((p, i) => {
      const outcome = reply.outcomes[i];
      if (!outcome.ok || outcome.replayed) return;
      const first = p.events.length - 1;
      const appended = p.events.map((e, j): StoredEvent => ({
        id: e.id,
        type: e.type,
        version: e.version,
        data: e.data,
        metadata: e.metadata,
        streamId: p.streamId,
        revision: outcome.nextRevision - first + j,
        position: outcome.position - first + j,
      }));
      const previous = groups[groups.length - 1];
      if (previous && previous[previous.length - 1].position > appended[0].position) inOrder = false;
      groups.push(appended);
    });
    // The writer stores an append that waited for its required event after the rest of its batch: the
    // cached streams and the subscribers take the batch's appends in the order they were stored.
    if (!inOrder) groups.sort((a, b) => a[0].position - b[0].position);
    const events: StoredEvent[] = [];
    for (const appended of groups) {
      this.extendCachedStream(appended[0].streamId, appended);
      for (const e of appended) events.push(e);
    }
    if (this.subscriptions.size === 0) return;
    if (events.length !== reply.after - reply.before) {
      this.recent = [];
      return;
    }
    this.recent.push({ before: reply.before, after: reply.after, events });
    if (this.recent.length > RECENT_PAGES) this.recent.shift();
  }

  /** Adds committed events to a cached stream; a stream that no longer lines up is dropped and read again. */
  private extendCachedStream(streamId: string, appended: StoredEvent[]): void {
    const cached = this.streams.get(streamId);
    if (!cached) {
      // A stream this append created is all here: the next command on it (a release, a debit) reads no file.
      if (appended[0].revision === 0) this.cacheStream(streamId, appended);
      return;
    }
    const last = cached.length ? cached[cached.length - 1].revision : -1;
    // A read that ran after the commit but before this reply already holds these events.
    if (last >= appended[appended.length - 1].revision) return;
    if (last + 1 !== appended[0].revision || cached.length + appended.length > CACHED_STREAM_MAX_EVENTS) {
      this.streams.delete(streamId);
      return;
    }
    for (const e of appended) cached.push(e);
  }

  private cacheStream(streamId: string, rows: CachedEvent[]): void {
    if (rows.length > CACHED_STREAM_MAX_EVENTS) return;
    this.streams.set(streamId, rows);
    const limit = this.options.cachedStreams ?? CACHED_STREAMS;
    if (this.streams.size <= limit) return;
    let evict = Math.max(1, Math.floor(limit * EVICTED_TOGETHER));
    for (const key of this.streams.keys()) {
      this.streams.delete(key);
      if (--evict === 0) break;
    }
  }

  /** The committed batch that starts right after `after`, if it is still kept (an empty one at the head). */
  private recentPage(after: number): CommittedPage | undefined {
    if (!this.options.pollIntervalMs && after === this.head) return { before: after, after, events: [] };
    for (let i = this.recent.length - 1; i >= 0; i--) {
      if (this.recent[i].before === after) return this.recent[i];
      if (this.recent[i].after <= after) return undefined;
    }
    return undefined;
  }

  private failWriter(err: Error): void {
    this.writerError = err;
    for (const p of [...this.inFlight.flat(), ...this.queue]) p.reject(err);
    this.inFlight = [];
    this.queue = [];
    this.drained?.();
  }

  async readStream(streamId: string, fromRevision = 0): Promise<StoredEvent[]> {
    if (this.options.pollIntervalMs) return this.stmts.readStream.all(streamId, fromRevision).map(toEvent);
    let rows = this.streams.get(streamId);
    if (rows) {
      this.streams.delete(streamId);
      this.streams.set(streamId, rows);
    } else {
      rows = this.stmts.readStream.all(streamId, 0);
      this.cacheStream(streamId, rows);
    }
    const events: StoredEvent[] = [];
    for (const r of rows) if (r.revision >= fromRevision) events.push(isRow(r) ? toEvent(r) : copyOf(r));
    return events;
  }

  async readAll(after: number, limit: number): Promise<StoredEvent[]> {
    return this.stmts.readAll.all(after, limit).map(toEvent);
  }

  /** Synchronous page read for fast replays (the audit). */
  readAllSync(after: number, limit: number): StoredEvent[] {
    return this.stmts.readAll.all(after, limit).map(toEvent);
  }

  subscribeAll(after: number, handler: EventHandler, options: SubscribeOptions = {}): Subscription {
    const prefixes = options.streamPrefixes;
    const sub = new PullSubscription(
      prefixes?.length && prefixes.every(Boolean) ? this.prefixReader(prefixes) : this.allReader(),
      after,
      handler,
      options,
      (s) => this.subscriptions.delete(s),
      this.options.pollIntervalMs,
    );
    this.subscriptions.add(sub);
    return sub;
  }

  /**
   * Reads only the rows of the given stream prefixes, filtered in SQL before any JSON is parsed:
   * every service subscribes to its own prefix, and would otherwise parse every other service's events.
   */
  private allReader(): (after: number, limit: number) => Promise<FilteredPage> {
    return async (after, limit) => {
      const recent = this.recentPage(after);
      if (recent && recent.events.length <= limit) return { events: recent.events, through: recent.after };
      const events = this.stmts.readAll.all(after, limit).map(toEvent);
      return { events, through: events.length ? events[events.length - 1].position : after };
    };
  }

  private prefixReader(prefixes: string[]): (after: number, limit: number) => Promise<FilteredPage> {
    // `+stream_id` keeps SQLite on the position order instead of the (stream, revision) index.
    const ranges = prefixes.map(() => '(+stream_id >= ? AND +stream_id < ?)').join(' OR ');
    const statement = this.db.prepare<unknown[], Row>(
      `SELECT * FROM events WHERE position > ? AND position <= ? AND (${ranges}) ORDER BY position LIMIT ?`,
    );
    const bounds = prefixes.flatMap((p) => [p, prefixEnd(p)]);
    const wanted = (e: StoredEvent): boolean => prefixes.some((p) => e.streamId.startsWith(p));
    return async (after, limit) => {
      const recent = this.recentPage(after);
      if (recent) {
        const events = recent.events.filter(wanted);
        if (events.length <= limit) return { events, through: recent.after };
      }
      const head = this.stmts.lastPosition.get()?.p ?? 0;
      const rows = statement.all(after, head, ...bounds, limit);
      const through = rows.length === limit ? rows[rows.length - 1].position : head;
      return { events: rows.map(toEvent), through };
    };
  }

  async headPosition(): Promise<number> {
    // Alone on the file, this process saw every commit; shared, another process may have written.
    if (!this.options.pollIntervalMs) return this.head;
    return this.stmts.lastPosition.get()?.p ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    if (this.inFlight.length || this.queue.length) await new Promise<void>((resolve) => (this.drained = resolve));
    this.closed = true;
    for (const s of [...this.subscriptions]) await s.close();
    if (!this.writerError) {
      // The writer is unref'd while idle: without this, a process with nothing else to do would exit
      // before the writer answers, and whatever awaited close() would never go on.
      this.writer.ref();
      await new Promise<void>((resolve) => {
        this.writer.once('message', () => resolve());
        this.writer.postMessage({ type: 'close' });
      });
    }
    await this.writer.terminate();
    this.db.close();
  }
}

/** Separates the fields of a framed batch: JSON text never holds it raw (JSON.stringify escapes it). */
const FIELD = '\u0001';

/**
 * A batch for the writer, as one string. Framed: `B`, the batch number and the append count, then per
 * append its stream id, expected revision (`a` any, `n` no stream, or the number), the stream and id of
 * the event it must follow (two empty fields for none) and event count, then per event its id, type,
 * version and the stored JSON text of data and metadata, all joined by FIELD.
 * Each event's data is stringified once, here, and stored as it comes: the writer parses nothing.
 * Should a name hold FIELD or not be a string, a version or expected revision not be an integer (or `any`,
 * `no_stream`), or data stringify to nothing, the batch goes as one JSON document instead.
 */
export function encodeBatch(batch: number, appends: Pick<PendingAppend, 'streamId' | 'expected' | 'events' | 'after'>[]): string {
  const fields: (string | number)[] = ['B', batch, appends.length];
  for (const { streamId, expected, events, after } of appends) {
    if (!framable(streamId) || !(expected === 'any' || expected === 'no_stream' || Number.isInteger(expected)))
      return encodeBatchAsJson(batch, appends);
    if (after && !(framable(after.streamId) && after.streamId !== '' && framable(after.eventId)))
      return encodeBatchAsJson(batch, appends);
    fields.push(
      streamId,
      expected === 'any' ? 'a' : expected === 'no_stream' ? 'n' : expected,
      after ? after.streamId : '',
      after ? after.eventId : '',
      events.length,
    );
    for (const e of events) {
      const data = JSON.stringify(e.data) as string | undefined;
      const metadata = JSON.stringify(e.metadata) as string | undefined;
      if (data === undefined || metadata === undefined || !framable(e.id) || !framable(e.type) || !Number.isInteger(e.version))
        return encodeBatchAsJson(batch, appends);
      fields.push(e.id, e.type, e.version, data, metadata);
    }
  }
  return fields.join(FIELD);
}

/** A name that can go in a framed batch as it is (anything else goes the JSON way, which stores what it did before). */
function framable(name: unknown): boolean {
  return typeof name === 'string' && !name.includes(FIELD);
}

function encodeBatchAsJson(batch: number, appends: Pick<PendingAppend, 'streamId' | 'expected' | 'events' | 'after'>[]): string {
  return JSON.stringify({
    type: 'commit',
    batch,
    appends: appends.map((p) => ({ streamId: p.streamId, expected: p.expected, after: p.after, events: p.events })),
  });
}

/** The smallest string greater than every string starting with `prefix`. */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/** A cached event: a row as read from the file, or an event as appended (copied only when read). */
type CachedEvent = Row | StoredEvent;

function isRow(e: CachedEvent): e is Row {
  return 'stream_id' in e;
}

/** An appended event as a read from the file would give it: data and metadata as JSON stored them. */
function copyOf(e: StoredEvent): StoredEvent {
  return {
    id: e.id,
    type: e.type,
    version: e.version,
    data: asStored(e.data),
    metadata: asStored(e.metadata),
    streamId: e.streamId,
    revision: e.revision,
    position: e.position,
  };
}

function toEvent(r: Row): StoredEvent {
  return {
    id: r.id,
    type: r.type,
    version: r.version,
    data: JSON.parse(r.data),
    metadata: JSON.parse(r.metadata),
    streamId: r.stream_id,
    revision: r.revision,
    position: r.position,
  };
}

/** Not plain JSON data: the copy goes through JSON itself. */
const NOT_PLAIN = Symbol('not plain');

/**
 * A deep copy equal to `JSON.parse(JSON.stringify(value))`, about ten times faster for the plain objects,
 * arrays, strings, finite numbers and booleans events are made of; anything else (a Date, a toJSON, a
 * non-finite number, undefined in an array) takes the JSON round trip, so the result is the same.
 */
export function asStored<T>(value: T): T {
  const copy = plainCopy(value);
  return (copy === NOT_PLAIN ? JSON.parse(JSON.stringify(value)) : copy) as T;
}

function plainCopy(value: unknown): unknown {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return value;
    case 'number':
      // JSON writes -0 as 0.
      return Number.isFinite(value) ? (value === 0 ? 0 : value) : NOT_PLAIN;
    case 'object': {
      if (value === null) return null;
      if (Array.isArray(value)) {
        const out = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) {
          const item = value[i] === undefined ? NOT_PLAIN : plainCopy(value[i]);
          if (item === NOT_PLAIN) return NOT_PLAIN;
          out[i] = item;
        }
        return out;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) return NOT_PLAIN;
      const out: Record<string, unknown> = {};
      for (const key of Object.keys(value)) {
        if (key === '__proto__') return NOT_PLAIN;
        const field = (value as Record<string, unknown>)[key];
        if (field === undefined) continue;
        const copied = plainCopy(field);
        if (copied === NOT_PLAIN) return NOT_PLAIN;
        out[key] = copied;
      }
      return out;
    }
    default:
      return NOT_PLAIN;
  }
}
