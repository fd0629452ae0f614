import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { NewEvent, StoredEvent } from '@concert/contracts';
import {
  AppendResult,
  EventHandler,
  EventStore,
  ExpectedRevision,
  revisionMatches,
  SubscribeOptions,
  Subscription,
  WrongExpectedRevisionError,
} from '../../event-store.port';
import { PullSubscription } from '../../live-subscription';

interface PendingAppend {
  streamId: string;
  events: NewEvent[];
  expected: ExpectedRevision;
  resolve: (r: AppendResult) => void;
  reject: (e: unknown) => void;
}

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

export interface SqliteEventStoreOptions {
  /** Poll for events written by other processes sharing the file (ms); off by default. */
  pollIntervalMs?: number;
}

/**
 * The embedded event store: one table, global position + unique (stream, revision).
 * Concurrent appends are grouped into one transaction, so one fsync (synchronous=FULL)
 * acknowledges a whole batch.
 */
export class SqliteEventStore implements EventStore {
  private readonly db: Database.Database;
  private queue: PendingAppend[] = [];
  private flushScheduled = false;
  private readonly subscriptions = new Set<PullSubscription>();
  private readonly stmts;
  /** One append inside the batch's transaction, in a savepoint: if it fails, only it is rolled back. */
  private readonly applyInSavepoint: (p: PendingAppend) => AppendResult | Error;
  private closed = false;

  constructor(
    readonly file: string,
    private readonly options: SqliteEventStoreOptions = {},
  ) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS events (
        position INTEGER PRIMARY KEY AUTOINCREMENT,
        stream_id TEXT NOT NULL,
        revision INTEGER NOT NULL,
        id TEXT NOT NULL UNIQUE,
        type TEXT NOT NULL,
        version INTEGER NOT NULL,
        data TEXT NOT NULL,
        metadata TEXT NOT NULL,
        UNIQUE (stream_id, revision)
      );
    `);
    this.stmts = {
      head: this.db.prepare<[string], { r: number | null }>('SELECT MAX(revision) AS r FROM events WHERE stream_id = ?'),
      byId: this.db.prepare<[string], { stream_id: string; revision: number; position: number }>(
        'SELECT stream_id, revision, position FROM events WHERE id = ?',
      ),
      insert: this.db.prepare(
        'INSERT INTO events (stream_id, revision, id, type, version, data, metadata) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      readStream: this.db.prepare<[string, number], Row>(
        'SELECT * FROM events WHERE stream_id = ? AND revision >= ? ORDER BY revision',
      ),
      readAll: this.db.prepare<[number, number], Row>('SELECT * FROM events WHERE position > ? ORDER BY position LIMIT ?'),
      lastPosition: this.db.prepare<[], { p: number | null }>('SELECT MAX(position) AS p FROM events'),
      lastOfStream: this.db.prepare<[string], { position: number }>(
        'SELECT position FROM events WHERE stream_id = ? ORDER BY revision DESC LIMIT 1',
      ),
    };
    this.applyInSavepoint = this.db.transaction((p: PendingAppend) => this.applyOne(p));
  }

  append(streamId: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (this.closed) return Promise.reject(new Error('event store closed'));
    if (events.length === 0) return Promise.reject(new Error('append needs at least one event'));
    return new Promise((resolve, reject) => {
      this.queue.push({ streamId, events, expected, resolve, reject });
      if (!this.flushScheduled) {
        this.flushScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (batch.length === 0) return;
    const outcomes: (AppendResult | Error)[] = [];
    try {
      this.db
        .transaction(() => {
          for (const p of batch) {
            try {
              outcomes.push(this.applyInSavepoint(p));
            } catch (err) {
              outcomes.push(err instanceof Error ? err : new Error(String(err)));
            }
          }
        })
        .immediate();
    } catch (err) {
      for (const p of batch) p.reject(err);
      return;
    }
    batch.forEach((p, i) => {
      const outcome = outcomes[i];
      if (outcome instanceof Error) p.reject(outcome);
      else p.resolve(outcome);
    });
    for (const s of this.subscriptions) s.signal();
  }

  private applyOne(p: PendingAppend): AppendResult | Error {
    const existing = this.stmts.byId.get(p.events[0].id);
    if (existing) {
      const last = this.stmts.byId.get(p.events[p.events.length - 1].id);
      if (existing.stream_id === p.streamId && last) return { nextRevision: last.revision, position: last.position };
      return new Error(`Event ${p.events[0].id} already exists in ${existing.stream_id}`);
    }
    const ids = new Set(p.events.map((e) => e.id));
    if (ids.size !== p.events.length) return new Error(`Append to ${p.streamId} repeats an event id`);
    const head = this.stmts.head.get(p.streamId)?.r ?? -1;
    if (!revisionMatches(p.expected, head)) return new WrongExpectedRevisionError(p.streamId, p.expected, head);
    let revision = head;
    let position = 0;
    for (const e of p.events) {
      revision += 1;
      const info = this.stmts.insert.run(
        p.streamId,
        revision,
        e.id,
        e.type,
        e.version,
        JSON.stringify(e.data),
        JSON.stringify(e.metadata),
      );
      position = Number(info.lastInsertRowid);
    }
    return { nextRevision: revision, position };
  }

  async readStream(streamId: string, fromRevision = 0): Promise<StoredEvent[]> {
    return this.stmts.readStream.all(streamId, fromRevision).map(toEvent);
  }

  async readAll(after: number, limit: number): Promise<StoredEvent[]> {
    return this.stmts.readAll.all(after, limit).map(toEvent);
  }

  /** Synchronous page read for fast replays (the audit). */
  readAllSync(after: number, limit: number): StoredEvent[] {
    return this.stmts.readAll.all(after, limit).map(toEvent);
  }

  subscribeAll(after: number, handler: EventHandler, options: SubscribeOptions = {}): Subscription {
    const sub = new PullSubscription(
      (a, l) => this.readAll(a, l),
      after,
      handler,
      options,
      (s) => this.subscriptions.delete(s),
      this.options.pollIntervalMs,
    );
    this.subscriptions.add(sub);
    return sub;
  }

  async headPosition(): Promise<number> {
    return this.stmts.lastPosition.get()?.p ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.flush();
    this.closed = true;
    for (const s of [...this.subscriptions]) await s.close();
    this.db.close();
  }
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
