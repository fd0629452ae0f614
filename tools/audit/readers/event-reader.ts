import { StoredEvent } from '@concert/contracts';

/**
 * One event as the audit replays it: the stored envelope minus the metadata it does not need,
 * with `occurredAt` lifted out (the log's clock).
 */
export interface AuditEvent {
  position: number;
  streamId: string;
  revision: number;
  id: string;
  type: string;
  /** The stored version; the audit upcasts `data` itself. */
  version: number;
  data: any;
  occurredAt: string;
}

/**
 * What the audit needs from an event store: pages of the global log after a position, one stream,
 * and the head. Synchronous results keep the SQLite replay fast; a network store returns promises.
 */
export interface EventReader {
  /** Where the events come from, for messages. */
  readonly source: string;
  /**
   * Events with a position strictly after `after`, at most `limit`, in log order. When `dataFor`
   * is given, only events of those types need their `data` (others may carry null): a reader that
   * parses JSON itself skips the rest.
   */
  readPage(after: number, limit: number, dataFor?: ReadonlySet<string>): AuditEvent[] | Promise<AuditEvent[]>;
  /** The same pages as full stored events (metadata included), for rebuilding read models. */
  readEvents(after: number, limit: number): StoredEvent[] | Promise<StoredEvent[]>;
  /** Every event of one stream, in revision order, with its full metadata. */
  readStream(streamId: string): StoredEvent[] | Promise<StoredEvent[]>;
  /** Position of the last event (0 when empty). */
  headPosition(): number | Promise<number>;
  close(): void | Promise<void>;
}

/** The store named on the command line cannot be used: a usage error (exit 2), not a failed audit. */
export class ReaderUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ReaderUnavailableError';
  }
}
