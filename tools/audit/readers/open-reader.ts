import * as eventStoreLib from '@concert/event-store';
import { EventStore } from '@concert/event-store';
import { EventReader, ReaderUnavailableError } from './event-reader';
import { EventStoreReader } from './event-store-reader';
import { SqliteEventReader } from './sqlite-reader';

export interface ReaderChoice {
  /** The embedded store's directory (holds events.db). */
  dataDir?: string;
  /** A KurrentDB connection string, e.g. `kurrentdb://localhost:2113?tls=false`. */
  eventstore?: string;
}

/** Export names the KurrentDB adapter of the EventStore port may be published under in @concert/event-store. */
const KURRENT_ADAPTER_EXPORTS = ['KurrentDbEventStore', 'KurrentDBEventStore', 'KurrentEventStore', 'EsdbEventStore'];

type KurrentAdapter = new (connectionString: string) => EventStore;

export function openReader(choice: ReaderChoice): EventReader {
  if (choice.eventstore !== undefined) return openKurrentReader(choice.eventstore);
  return SqliteEventReader.inDataDir(choice.dataDir ?? process.env.DATA_DIR ?? './data');
}

/**
 * The seam for KurrentDB: once @concert/event-store exports its adapter (constructed from a
 * connection string), it is read through the port like any other store.
 */
export function openKurrentReader(connectionString: string): EventReader {
  const exported = eventStoreLib as unknown as Record<string, unknown>;
  const name = KURRENT_ADAPTER_EXPORTS.find((n) => typeof exported[n] === 'function');
  if (name === undefined) {
    throw new ReaderUnavailableError(
      `--eventstore ${connectionString}: no KurrentDB adapter is available yet (@concert/event-store exports none of ` +
        `${KURRENT_ADAPTER_EXPORTS.join(', ')}). Audit the embedded store with --data-dir instead.`,
    );
  }
  const Adapter = exported[name] as KurrentAdapter;
  return new EventStoreReader(new Adapter(connectionString), connectionString);
}
