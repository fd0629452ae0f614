import { DomainError, ErrorCode, EventRef, NewEvent, StoredEvent } from '@concert/contracts';

export type { EventRef };

export const EVENT_STORE = Symbol('EVENT_STORE');

/** `no_stream`: the stream must not exist; `any`: no check; a number: the revision of the stream's last event. */
export type ExpectedRevision = 'any' | 'no_stream' | number;

export interface AppendResult {
  /** Revision of the last event written (or already present, for an idempotent replay). */
  nextRevision: number;
  /** Global position of the last event written. */
  position: number;
}

export interface SubscribeOptions {
  /** Deliver only events whose stream id starts with one of these prefixes. */
  streamPrefixes?: string[];
}

export type EventHandler = (event: StoredEvent) => void | Promise<void>;

export interface Subscription {
  close(): Promise<void>;
  /** Resolves when the handler has processed every event up to `position`. */
  caughtUpTo(position: number): Promise<void>;
}

export interface AppendOptions {
  /**
   * Store the append only if this event is already stored (or goes in the same commit, before it);
   * otherwise refuse it with RequiredEventMissingError, writing nothing. An event once stored stays, so
   * a store may check this at any time before it writes. On a store that keeps the order of appends
   * (`soleWriter`), an append made after the required one's (in the same tick or later) is checked
   * after that one was decided: it is stored exactly when the required event is. The SQLite store also
   * waits within one commit: an append made in the same tick as the required one's but before it (as
   * happens when the two come through different services) is checked again after the rest of its
   * commit, and stored after the required event if that was.
   */
  after?: EventRef;
}

export interface EventStore {
  append(streamId: string, events: NewEvent[], expected: ExpectedRevision, options?: AppendOptions): Promise<AppendResult>;
  readStream(streamId: string, fromRevision?: number): Promise<StoredEvent[]>;
  /** Events with a position strictly after `after`, in append order. */
  readAll(after: number, limit: number): Promise<StoredEvent[]>;
  /**
   * Catch up from `after`, then stay live. The handler runs for one event at a time, in order.
   * A handler that throws gets the same event again after a backoff; meanwhile `caughtUpTo` rejects.
   */
  subscribeAll(after: number, handler: EventHandler, options?: SubscribeOptions): Subscription;
  /** The position of the last event in the store (0 when empty). */
  headPosition(): Promise<number>;
  close(): Promise<void>;
  /**
   * True when every append to the store passes through this object (one process alone on its file),
   * in the order it was called: no other writer can get between two appends queued in one tick.
   * Absent or false wherever another process or instance may write.
   */
  readonly soleWriter?: boolean;
}

export class WrongExpectedRevisionError extends Error {
  constructor(
    readonly streamId: string,
    readonly expected: ExpectedRevision,
    readonly actual: number,
  ) {
    super(`Stream ${streamId}: expected revision ${String(expected)}, actual ${actual}`);
    this.name = 'WrongExpectedRevisionError';
  }
}

export class RequiredEventMissingError extends Error {
  constructor(
    readonly streamId: string,
    readonly required: EventRef,
  ) {
    super(`Append to ${streamId} refused: event ${required.eventId} is not stored in ${required.streamId}`);
    this.name = 'RequiredEventMissingError';
  }
}

/**
 * Rethrows `err`, a RequiredEventMissingError as a DomainError with the default message (stream names are
 * no business of whoever might read it): for handlers that append on a caller's condition.
 */
export function rethrowRequiredEventMissing(err: unknown): never {
  if (err instanceof RequiredEventMissingError) throw new DomainError(ErrorCode.RequiredEventMissing);
  throw err;
}

/** -1 stands for "no stream". */
export function revisionMatches(expected: ExpectedRevision, actual: number): boolean {
  if (expected === 'any') return true;
  if (expected === 'no_stream') return actual === -1;
  return expected === actual;
}
