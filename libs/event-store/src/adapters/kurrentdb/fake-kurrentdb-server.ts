import { EventEmitter } from 'node:events';
import {
  ANY,
  AppendResult,
  AppendStreamState,
  BACKWARDS,
  END,
  EventData,
  Filter,
  KurrentDBClient,
  NO_STREAM,
  Position,
  ReadAllOptions,
  ReadStreamOptions,
  START,
  StreamNotFoundError,
  SubscribeToAllOptions,
  WrongExpectedVersionError,
} from '@kurrent/kurrentdb-client';

/**
 * A test-only, in-process model of the parts of a KurrentDB server the adapter uses, written from
 * the server's documented and source-visible behaviour (not a substitute for the testcontainers spec):
 * - records get byte-offset positions with gaps; for ordinary appends commit === prepare;
 * - forward $all reads are inclusive of `fromPosition`, backward reads exclusive;
 * - filters match event types (or stream names) by regex or prefixes; maxCount counts matches;
 * - appends enforce the stream state, are idempotent by event id for an exact replay at the
 *   expected revision, throw WrongExpectedVersionError / StreamNotFoundError like the client;
 * - system records ($-streams, $-types) are interleaved, as projections and statistics do;
 * - the append reply's position is the first event's, not the last's (a caller must not rely on it).
 */
export interface FakeServerOptions {
  /** System records written after each append (projection links, statistics). Default 2. */
  systemNoisePerAppend?: number;
  /** Recognise exact replays at the expected revision (the real server does). Default true. */
  idempotentReplays?: boolean;
  /** Like `throwOnAppendFailure=false` in a connection string: conflicts resolve with success false. Default true. */
  throwOnAppendFailure?: boolean;
}

interface StoredRecord {
  streamId: string;
  id: string;
  type: string;
  revision: bigint;
  created: Date;
  data: string;
  metadata: string | undefined;
  position: Position;
}

export class FakeKurrentServer {
  private readonly log: StoredRecord[] = [];
  private readonly streams = new Map<string, StoredRecord[]>();
  private nextPosition = 0n;
  private readonly live = new Set<LiveSubscription>();
  private seq = 0;
  readonly options: Required<FakeServerOptions>;

  constructor(options: FakeServerOptions = {}) {
    this.options = { systemNoisePerAppend: 2, idempotentReplays: true, throwOnAppendFailure: true, ...options };
    // A fresh server already holds system records.
    for (let i = 0; i < 5; i++) this.write('$settings', '$settings', { i });
    this.write('$system-audit', 'AuditEntry', { note: 'a non-$ type in a $ stream' });
  }

  client(): KurrentDBClient {
    return new FakeClient(this) as unknown as KurrentDBClient;
  }

  /** Makes every live subscription fail, as a dropped connection would. */
  failLiveSubscriptions(error = new Error('connection reset')): void {
    for (const s of [...this.live]) s.emit('error', error);
  }

  liveSubscriptionCount(): number {
    return this.live.size;
  }

  /** All records, system ones included, as (stream, type, commit). */
  records(): { streamId: string; type: string; commit: bigint }[] {
    return this.log.map((r) => ({ streamId: r.streamId, type: r.type, commit: r.position.commit }));
  }

  append(streamName: string, events: EventData[], streamState: AppendStreamState): AppendResult {
    const stream = this.streams.get(streamName) ?? [];
    const current = stream.length - 1;
    if (this.options.idempotentReplays) {
      const first =
        streamState === ANY
          ? stream.findIndex((r) => r.id === events[0].id)
          : streamState === NO_STREAM
            ? 0
            : typeof streamState === 'bigint'
              ? Number(streamState) + 1
              : -1;
      if (first >= 0 && first + events.length <= stream.length && events.every((e, i) => stream[first + i].id === e.id)) {
        return { success: true, nextExpectedRevision: BigInt(first + events.length - 1), position: stream[first].position };
      }
    }
    const ok =
      streamState === ANY ||
      (streamState === NO_STREAM && current === -1) ||
      (streamState === 'stream_exists' && current >= 0) ||
      (typeof streamState === 'bigint' && BigInt(current) === streamState);
    if (!ok) {
      throw new WrongExpectedVersionError(undefined, {
        streamName,
        expected: streamState,
        current: current === -1 ? NO_STREAM : BigInt(current),
      });
    }
    let firstPosition: Position | undefined;
    for (const e of events) {
      const r = this.write(streamName, e.type, e.data, e.metadata, e.id);
      firstPosition ??= r.position;
    }
    for (let i = 0; i < this.options.systemNoisePerAppend; i++) {
      this.write(i % 2 === 0 ? `$ce-${streamName.split('-')[0]}` : '$stats-node', i % 2 === 0 ? '$>' : '$statsCollected', { i });
    }
    return { success: true, nextExpectedRevision: BigInt(current + events.length), position: firstPosition };
  }

  private write(
    streamId: string,
    type: string,
    data: unknown,
    metadata?: unknown,
    id = `00000000-0000-4000-8000-${String(++this.seq).padStart(12, '0')}`,
  ): StoredRecord {
    const stream = this.streams.get(streamId) ?? [];
    const record: StoredRecord = {
      streamId,
      id,
      type,
      revision: BigInt(stream.length),
      created: new Date(),
      data: JSON.stringify(data),
      metadata: metadata === undefined ? undefined : JSON.stringify(metadata),
      position: { commit: this.nextPosition, prepare: this.nextPosition },
    };
    // Byte offsets: positions grow by the record's size, leaving gaps.
    this.nextPosition += 80n + BigInt(record.data.length + (record.metadata?.length ?? 0) + streamId.length);
    stream.push(record);
    this.streams.set(streamId, stream);
    this.log.push(record);
    for (const s of this.live) s.offer(record);
    return record;
  }

  readStream(streamName: string, fromRevision: bigint, backwards: boolean, maxCount: number): StoredRecord[] {
    const stream = this.streams.get(streamName);
    if (!stream || stream.length === 0) throw new StreamNotFoundError(undefined, streamName);
    const from = Number(fromRevision);
    const picked = backwards ? stream.slice(0, from + 1).reverse() : stream.slice(from);
    return picked.slice(0, maxCount);
  }

  readAll(from: Position | typeof START | typeof END, backwards: boolean, maxCount: number, filter?: Filter): StoredRecord[] {
    const out: StoredRecord[] = [];
    if (!backwards) {
      for (const r of this.log) {
        if (from === END) break;
        if (from !== START && comparePositions(r.position, from) < 0) continue; // inclusive
        if (!matches(r, filter)) continue;
        out.push(r);
        if (out.length >= maxCount) break;
      }
    } else {
      for (let i = this.log.length - 1; i >= 0; i--) {
        const r = this.log[i];
        if (from === START) break;
        if (from !== END && comparePositions(r.position, from) >= 0) continue; // exclusive
        if (!matches(r, filter)) continue;
        out.push(r);
        if (out.length >= maxCount) break;
      }
    }
    return out;
  }

  subscribe(filter: Filter | undefined): LiveSubscription {
    const sub = new LiveSubscription(filter, (s) => this.live.delete(s));
    this.live.add(sub);
    setImmediate(() => sub.emit('confirmation'));
    return sub;
  }
}

class LiveSubscription extends EventEmitter {
  constructor(
    private readonly filter: Filter | undefined,
    private readonly onEnd: (s: LiveSubscription) => void,
  ) {
    super();
    this.on('error', () => this.onEnd(this));
  }

  offer(record: StoredRecord): void {
    if (matches(record, this.filter)) setImmediate(() => this.emit('data', toResolved(record)));
  }

  async unsubscribe(): Promise<void> {
    this.onEnd(this);
    this.removeAllListeners('data');
  }
}

class FakeClient {
  private disposed = false;
  constructor(private readonly server: FakeKurrentServer) {}

  async appendToStream(
    streamName: string,
    events: EventData | EventData[],
    options: { streamState?: AppendStreamState } = {},
  ): Promise<AppendResult> {
    this.check();
    const list = Array.isArray(events) ? events : [events];
    // A network hop: concurrent appends interleave here; the server applies each atomically.
    await new Promise((r) => setImmediate(r));
    // The real client serialises to JSON: so does the model.
    const wire = list.map((e) => ({
      ...e,
      data: JSON.parse(JSON.stringify(e.data)),
      metadata: e.metadata === undefined ? undefined : JSON.parse(JSON.stringify(e.metadata)),
    }));
    try {
      return this.server.append(streamName, wire as EventData[], options.streamState ?? ANY);
    } catch (err) {
      if (this.server.options.throwOnAppendFailure || !(err instanceof WrongExpectedVersionError)) throw err;
      // The real client's value here is unreliable (it reads a has-flag as the revision): the adapter must not use it.
      return { success: false, nextExpectedRevision: 1n, position: undefined };
    }
  }

  readStream(streamName: string, options: ReadStreamOptions = {}) {
    this.check();
    const server = this.server;
    return (async function* () {
      await new Promise((r) => setImmediate(r));
      const from =
        options.fromRevision === undefined || options.fromRevision === START
          ? 0n
          : options.fromRevision === END
            ? BigInt(Number.MAX_SAFE_INTEGER)
            : options.fromRevision;
      const records = server.readStream(
        streamName,
        from,
        options.direction === BACKWARDS,
        Number(options.maxCount ?? Number.MAX_SAFE_INTEGER),
      );
      for (const r of records) yield toResolved(r);
    })();
  }

  readAll(options: ReadAllOptions = {}) {
    this.check();
    const server = this.server;
    return (async function* () {
      await new Promise((r) => setImmediate(r));
      const records = server.readAll(
        options.fromPosition ?? START,
        options.direction === BACKWARDS,
        Number(options.maxCount ?? Number.MAX_SAFE_INTEGER),
        options.filter,
      );
      for (const r of records) yield toResolved(r);
    })();
  }

  subscribeToAll(options: SubscribeToAllOptions = {}) {
    this.check();
    if (options.fromPosition !== END) throw new Error('the model only supports live subscriptions from END');
    return this.server.subscribe(options.filter);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
  }

  private check(): void {
    if (this.disposed) throw new Error('client disposed');
  }
}

function toResolved(r: StoredRecord) {
  // Parsed anew on every read, as the real client does: callers get copies.
  return {
    event: {
      streamId: r.streamId,
      id: r.id,
      isJson: true,
      revision: r.revision,
      type: r.type,
      created: r.created,
      data: JSON.parse(r.data),
      metadata: r.metadata === undefined ? undefined : JSON.parse(r.metadata),
      position: { ...r.position },
    },
    commitPosition: r.position.commit,
  };
}

function comparePositions(a: Position, b: Position): number {
  if (a.commit !== b.commit) return a.commit < b.commit ? -1 : 1;
  if (a.prepare !== b.prepare) return a.prepare < b.prepare ? -1 : 1;
  return 0;
}

function matches(r: StoredRecord, filter: Filter | undefined): boolean {
  if (!filter) return true;
  const subject = filter.filterOn === 'eventType' ? r.type : r.streamId;
  if ('regex' in filter) return new RegExp(filter.regex).test(subject);
  return filter.prefixes.some((p) => subject.startsWith(p));
}
