import {
  ANY,
  AppendStreamState,
  CurrentStreamState,
  EventData,
  jsonEvent,
  JSONType,
  NO_STREAM,
  Position,
  ReadPosition,
  RecordedEvent,
  START,
} from '@kurrent/kurrentdb-client';
import { EventMetadata, NewEvent, StoredEvent } from '@concert/contracts';
import { ExpectedRevision } from '../../event-store.port';

/**
 * Pure mapping between the EventStore port and KurrentDB's client types.
 *
 * Positions. The port's `position` is a plain number, strictly increasing in append order, and
 * `readAll(after)` means "strictly after". KurrentDB orders $all by (commit, prepare). For every
 * event written by an ordinary append (one or many events, one stream) the server reports
 * commit === prepare === the event's own log position (the byte offset of its record in the
 * transaction log), so the commit position alone is unique and increasing: it is the port's
 * position. Only events written by the legacy explicit-transaction API share one commit position
 * with distinct prepare positions; those cannot be given a single number and are refused
 * (`UnmappablePositionError`). The log offset fits a JS number exactly up to 2^53 - 1 bytes
 * (8 PiB of log); past that we throw rather than round.
 */

/** Reserved keys the adapter adds to an event's metadata (and strips when reading it back). */
export const SCHEMA_VERSION_KEY = 'schemaVersion';
/** KurrentDB's own correlation keys, understood by its `$by_correlation_id` projection. */
export const KURRENT_CORRELATION_KEY = '$correlationId';
export const KURRENT_CAUSATION_KEY = '$causationId';

export class UnmappablePositionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnmappablePositionError';
  }
}

/** KurrentDB commit position (bigint) → the port's numeric position. */
export function toPortPosition(position: Position | undefined, what = 'event'): number {
  if (!position) throw new UnmappablePositionError(`${what} has no $all position (KurrentDB/EventStoreDB older than 22.6?)`);
  if (position.commit !== position.prepare) {
    throw new UnmappablePositionError(
      `${what} at commit ${position.commit} / prepare ${position.prepare} was written in an explicit transaction; ` +
        'its position cannot be mapped to a single number',
    );
  }
  return bigintToSafeNumber(position.commit, `${what} position`);
}

export function bigintToSafeNumber(value: bigint, what: string): number {
  if (value < 0n || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new UnmappablePositionError(`${what} ${value} is outside 0..2^53-1 and cannot be represented exactly`);
  }
  return Number(value);
}

/**
 * Where a forward $all read must start to return the events strictly after `after`.
 * KurrentDB's forward read is inclusive of the record at the given position, so the caller
 * must still drop an event whose position equals `after` (see `isAfter`). 0 reads from the start.
 */
export function readPositionAfter(after: number): ReadPosition {
  assertPortPosition(after, 'after');
  if (after === 0) return START;
  const p = BigInt(after);
  return { commit: p, prepare: p };
}

export function assertPortPosition(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${what} must be a non-negative safe integer, got ${value}`);
}

/** The port's expected revision → KurrentDB's stream state. */
export function toStreamState(expected: ExpectedRevision): AppendStreamState {
  if (expected === 'any') return ANY;
  if (expected === 'no_stream') return NO_STREAM;
  if (!Number.isSafeInteger(expected) || expected < 0) {
    throw new RangeError(`expected revision must be 'any', 'no_stream' or a revision >= 0, got ${String(expected)}`);
  }
  return BigInt(expected);
}

/** KurrentDB's current stream state (from a WrongExpectedVersionError) → the port's revision, -1 for no stream. */
export function fromCurrentState(state: CurrentStreamState | undefined): number {
  if (state === undefined || state === NO_STREAM) return -1;
  return bigintToSafeNumber(state, 'stream revision');
}

/** The first revision the events of an append land on, when `expected` names one; undefined for 'any'. */
export function firstRevisionFor(expected: ExpectedRevision): number | undefined {
  if (expected === 'any') return undefined;
  if (expected === 'no_stream') return 0;
  return expected + 1;
}

/** System records ($-prefixed streams or types: statistics, projections' links, metadata, …) are never the port's events. */
export function isSystemRecord(streamId: string, type: string): boolean {
  return streamId.startsWith('$') || type.startsWith('$');
}

/** A port event → KurrentDB event data: JSON body, metadata with the schema version and KurrentDB's correlation keys. */
export function toEventData(event: NewEvent): EventData {
  const metadata: Record<string, unknown> = {
    ...event.metadata,
    [SCHEMA_VERSION_KEY]: event.version,
    [KURRENT_CORRELATION_KEY]: event.metadata.correlationId,
    [KURRENT_CAUSATION_KEY]: event.metadata.causationId,
  };
  return jsonEvent({ id: event.id, type: event.type, data: event.data as JSONType, metadata });
}

/** A KurrentDB recorded event → a port event; `position` is given when the caller already mapped it. */
export function fromRecorded(
  recorded: RecordedEvent,
  position = toPortPosition(recorded.position, `event ${recorded.id}`),
): StoredEvent {
  const raw = isPlainObject(recorded.metadata) ? { ...recorded.metadata } : {};
  const version = raw[SCHEMA_VERSION_KEY];
  const kurrentCorrelation = raw[KURRENT_CORRELATION_KEY];
  const kurrentCausation = raw[KURRENT_CAUSATION_KEY];
  delete raw[SCHEMA_VERSION_KEY];
  delete raw[KURRENT_CORRELATION_KEY];
  delete raw[KURRENT_CAUSATION_KEY];
  // Events written by other tools may lack our keys: fall back to what KurrentDB knows.
  const metadata = {
    ...raw,
    occurredAt: typeof raw.occurredAt === 'string' ? raw.occurredAt : recorded.created.toISOString(),
    correlationId: typeof raw.correlationId === 'string' ? raw.correlationId : stringOr(kurrentCorrelation, recorded.id),
    causationId: typeof raw.causationId === 'string' ? raw.causationId : stringOr(kurrentCausation, recorded.id),
  } as EventMetadata;
  return {
    id: recorded.id,
    type: recorded.type,
    version: Number.isSafeInteger(version) && (version as number) > 0 ? (version as number) : 1,
    data: decodeData(recorded.data),
    metadata,
    streamId: recorded.streamId,
    revision: bigintToSafeNumber(recorded.revision, 'stream revision'),
    position,
  };
}

function decodeData(data: unknown): unknown {
  if (!(data instanceof Uint8Array)) return data;
  // A binary event (not written by this adapter): JSON when it is, base64 otherwise.
  const text = Buffer.from(data).toString('utf8');
  try {
    return JSON.parse(text);
  } catch {
    return Buffer.from(data).toString('base64');
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' ? value : fallback;
}
