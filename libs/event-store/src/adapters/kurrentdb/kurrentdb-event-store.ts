import {
  AllStreamSubscription,
  BACKWARDS,
  END,
  excludeSystemEvents,
  FORWARDS,
  KurrentDBClient,
  Position,
  ReadPosition,
  StreamNotFoundError,
  WrongExpectedVersionError,
} from '@kurrent/kurrentdb-client';
import { NewEvent, StoredEvent } from '@concert/contracts';
import {
  AppendOptions,
  AppendResult,
  EventHandler,
  EventStore,
  ExpectedRevision,
  RequiredEventMissingError,
  SubscribeOptions,
  Subscription,
  WrongExpectedRevisionError,
} from '../../event-store.port';
import { PullSubscription } from '../../live-subscription';
import {
  assertPortPosition,
  bigintToSafeNumber,
  firstRevisionFor,
  fromCurrentState,
  fromRecorded,
  isSystemRecord,
  readPositionAfter,
  toEventData,
  toPortPosition,
  toStreamState,
} from './kurrentdb-mapping';

export interface KurrentDbEventStoreOptions {
  /**
   * Safety-net poll for subscriptions (ms), in case the live $all subscription that wakes them
   * is down. 0 turns it off. Default 1000.
   */
  pollIntervalMs?: number;
  /** Delay before re-opening the live $all subscription after it fails (ms). Default 1000. */
  reconnectDelayMs?: number;
  /** Called when the live $all subscription fails (it is re-opened); defaults to console.warn. */
  onLiveError?: (error: unknown) => void;
}

/** Events per round trip when paging $all backwards for the head. */
const HEAD_PAGE = 32;

/**
 * The distributed EventStore adapter on KurrentDB (EventStoreDB's continuation).
 *
 * - Each port event is a JSON event with the same id; its schema version and envelope travel in
 *   the event metadata (see kurrentdb-mapping.ts). Positions are $all commit positions.
 * - Expected revisions map to KurrentDB stream states; the server enforces them. Idempotency by
 *   event id is the server's (exact for 'no_stream' and numeric revisions, best effort for 'any'),
 *   completed here: a retry the server rejects as a conflict is recognised when the events already
 *   sit at the revisions it asked for.
 * - Event ids are unique per stream, not across the store (KurrentDB does not index them globally).
 * - subscribeAll is the shared PullSubscription over readAll, woken by this process's appends and
 *   by one live $all subscription (so writes from other processes are seen at once), with a slow
 *   poll as a safety net.
 */
export class KurrentDbEventStore implements EventStore {
  private readonly client: KurrentDBClient;
  private readonly ownsClient: boolean;
  private readonly subscriptions = new Set<PullSubscription>();
  private live?: AllStreamSubscription;
  private reconnectTimer?: NodeJS.Timeout;
  private closed = false;
  private readonly pollIntervalMs: number;
  private readonly reconnectDelayMs: number;
  private readonly onLiveError: (error: unknown) => void;

  /** From a connection string (`kurrentdb://host:2113?tls=false`) or a client this store will not dispose. */
  constructor(connection: string | KurrentDBClient, options: KurrentDbEventStoreOptions = {}) {
    if (typeof connection === 'string') {
      this.client = KurrentDBClient.connectionString(connection);
      this.ownsClient = true;
    } else {
      this.client = connection;
      this.ownsClient = false;
    }
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.reconnectDelayMs = options.reconnectDelayMs ?? 1000;
    this.onLiveError =
      options.onLiveError ??
      ((e) => console.warn(`KurrentDbEventStore: live $all subscription failed, retrying: ${errorMessage(e)}`));
  }

  async append(streamId: string, events: NewEvent[], expected: ExpectedRevision, options?: AppendOptions): Promise<AppendResult> {
    if (this.closed) throw new Error('event store closed');
    if (events.length === 0) throw new Error('append needs at least one event');
    if (new Set(events.map((e) => e.id)).size !== events.length) throw new Error(`Append to ${streamId} repeats an event id`);
    // A stored event stays stored: found on the leader before the append, it is there when the append lands.
    const required = options?.after;
    if (required && !(await this.readStreamRaw(required.streamId, 0, undefined, true)).some((e) => e.id === required.eventId))
      throw new RequiredEventMissingError(streamId, required);
    const streamState = toStreamState(expected);

    let lastRevision: number;
    try {
      const result = await this.client.appendToStream(streamId, events.map(toEventData), { streamState });
      // With `throwOnAppendFailure=false` in the connection string the client reports a conflict instead of throwing.
      if (!result.success) return await this.conflict(streamId, events, expected, undefined);
      lastRevision = bigintToSafeNumber(result.nextExpectedRevision, 'stream revision');
    } catch (err) {
      if (!isWrongExpectedVersion(err)) throw err;
      return await this.conflict(streamId, events, expected, fromCurrentState(err.actualState));
    }

    // The server's reply does not say where the last event sits in $all (and an idempotent
    // replay reports the original commit loosely): read the events back for exact positions.
    const result = await this.findAt(streamId, events, lastRevision - events.length + 1);
    if (!result) {
      throw new Error(
        `Append to ${streamId} was acknowledged at revision ${lastRevision} but the events stored there are not the ones sent ` +
          '(a partial replay of an earlier append?)',
      );
    }
    for (const s of this.subscriptions) s.signal();
    return result;
  }

  /** A rejected append: a retry of one that already landed answers as the first time, anything else is a conflict. */
  private async conflict(
    streamId: string,
    events: NewEvent[],
    expected: ExpectedRevision,
    actual: number | undefined,
  ): Promise<AppendResult> {
    const first = firstRevisionFor(expected);
    const replay = first === undefined ? undefined : await this.findAt(streamId, events, first);
    if (replay) return replay;
    throw new WrongExpectedRevisionError(streamId, expected, actual ?? (await this.lastRevision(streamId)));
  }

  private async lastRevision(streamId: string): Promise<number> {
    try {
      for await (const resolved of this.client.readStream(streamId, {
        fromRevision: END,
        direction: BACKWARDS,
        maxCount: 1,
        requiresLeader: true,
      })) {
        if (resolved.event) return bigintToSafeNumber(resolved.event.revision, 'stream revision');
      }
    } catch (err) {
      if (!isStreamNotFound(err)) throw err;
    }
    return -1;
  }

  /** The result of an append of `events` whose first event is at `firstRevision`, if they are stored exactly there. */
  private async findAt(streamId: string, events: NewEvent[], firstRevision: number): Promise<AppendResult | undefined> {
    if (firstRevision < 0) return undefined;
    // From the leader: a follower may not have the write that was just acknowledged.
    const stored = await this.readStreamRaw(streamId, firstRevision, events.length, true);
    if (stored.length !== events.length || stored.some((s, i) => s.id !== events[i].id)) return undefined;
    const last = stored[stored.length - 1];
    return { nextRevision: last.revision, position: last.position };
  }

  async readStream(streamId: string, fromRevision = 0): Promise<StoredEvent[]> {
    return this.readStreamRaw(streamId, fromRevision);
  }

  private async readStreamRaw(
    streamId: string,
    fromRevision: number,
    maxCount?: number,
    requiresLeader = false,
  ): Promise<StoredEvent[]> {
    if (!Number.isSafeInteger(fromRevision) || fromRevision < 0)
      throw new RangeError(`fromRevision must be >= 0, got ${fromRevision}`);
    const out: StoredEvent[] = [];
    try {
      const reads = this.client.readStream(streamId, {
        fromRevision: BigInt(fromRevision),
        direction: FORWARDS,
        requiresLeader,
        ...(maxCount === undefined ? {} : { maxCount }),
      });
      for await (const resolved of reads) {
        if (resolved.event) out.push(fromRecorded(resolved.event));
      }
    } catch (err) {
      if (isStreamNotFound(err)) return [];
      throw err;
    }
    return out;
  }

  async readAll(after: number, limit: number): Promise<StoredEvent[]> {
    assertPortPosition(after, 'after');
    if (!Number.isSafeInteger(limit) || limit <= 0) return [];
    const out: StoredEvent[] = [];
    let cursor = after;
    while (out.length < limit) {
      // The read is inclusive of `cursor`, hence one more than needed.
      const want = limit - out.length + 1;
      let received = 0;
      let advanced = false;
      for await (const resolved of this.client.readAll({
        fromPosition: readPositionAfter(cursor),
        direction: FORWARDS,
        maxCount: want,
        filter: excludeSystemEvents(),
      })) {
        received++;
        const event = resolved.event;
        if (!event) continue;
        if (isSystemRecord(event.streamId, event.type)) {
          // Still moves the cursor past it; its position may not be mappable, so only when it is.
          const p = safePosition(event.position);
          if (p !== undefined && p > cursor) {
            cursor = p;
            advanced = true;
          }
          continue;
        }
        const position = toPortPosition(event.position, `event ${event.id} in ${event.streamId}`);
        if (position <= cursor) continue;
        cursor = position;
        advanced = true;
        out.push(fromRecorded(event, position));
        if (out.length === limit) break;
      }
      if (received < want || !advanced) break;
    }
    return out;
  }

  subscribeAll(after: number, handler: EventHandler, options: SubscribeOptions = {}): Subscription {
    if (this.closed) throw new Error('event store closed');
    assertPortPosition(after, 'after');
    const sub = new PullSubscription(
      (a, l) => this.readAll(a, l),
      after,
      handler,
      options,
      (s) => this.release(s),
      this.pollIntervalMs || undefined,
    );
    this.subscriptions.add(sub);
    this.ensureLive();
    return sub;
  }

  async headPosition(): Promise<number> {
    let from: ReadPosition = END;
    for (;;) {
      let received = 0;
      let oldest: number | undefined;
      for await (const resolved of this.client.readAll({
        fromPosition: from,
        direction: BACKWARDS,
        maxCount: HEAD_PAGE,
        filter: excludeSystemEvents(),
      })) {
        received++;
        const event = resolved.event;
        if (!event) continue;
        if (!isSystemRecord(event.streamId, event.type)) return toPortPosition(event.position, `event ${event.id}`);
        const p = safePosition(event.position);
        if (p !== undefined) oldest = p;
      }
      // Only system records in this page (the server filter is on types, we also drop $-streams).
      if (received < HEAD_PAGE || oldest === undefined) return 0;
      from = { commit: BigInt(oldest), prepare: BigInt(oldest) };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.subscriptions]) await s.close();
    await this.stopLive();
    if (this.ownsClient) await this.client.dispose();
  }

  private release(sub: PullSubscription): void {
    this.subscriptions.delete(sub);
    if (this.subscriptions.size === 0) void this.stopLive();
  }

  private signalAll(): void {
    for (const s of this.subscriptions) s.signal();
  }

  /** One live $all subscription per store, only to wake the pull subscriptions when anything is written. */
  private ensureLive(): void {
    if (this.live || this.reconnectTimer || this.closed) return;
    const live = this.client.subscribeToAll({ fromPosition: END, filter: excludeSystemEvents() });
    this.live = live;
    live.on('data', () => this.signalAll());
    // Events written between a pull subscription's first read and this subscription's start are
    // picked up here: it signals once it is live.
    live.on('confirmation', () => this.signalAll());
    live.on('caughtUp', () => this.signalAll());
    live.on('error', (err: unknown) => {
      if (this.live !== live) return;
      this.live = undefined;
      void live.unsubscribe().catch(() => undefined);
      if (this.closed || this.subscriptions.size === 0) return;
      this.onLiveError(err);
      this.reconnectTimer = setTimeout(() => {
        this.reconnectTimer = undefined;
        if (this.subscriptions.size > 0) {
          this.ensureLive();
          this.signalAll();
        }
      }, this.reconnectDelayMs);
      this.reconnectTimer.unref();
    });
  }

  private async stopLive(): Promise<void> {
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const live = this.live;
    this.live = undefined;
    if (live) await live.unsubscribe().catch(() => undefined);
  }
}

function isStreamNotFound(err: unknown): boolean {
  return err instanceof StreamNotFoundError || (err as { type?: string })?.type === 'stream-not-found';
}

function isWrongExpectedVersion(err: unknown): err is WrongExpectedVersionError {
  return err instanceof WrongExpectedVersionError || (err as { type?: string })?.type === 'wrong-expected-version';
}

/** The commit position of a record we skip (a system record), when it fits a number. */
function safePosition(position: Position | undefined): number | undefined {
  if (position === undefined) return undefined;
  const commit = position.commit;
  return commit >= 0n && commit <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(commit) : undefined;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
