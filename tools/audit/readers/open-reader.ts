import { openKurrentDbEventStore } from '@concert/event-store';
import { EventReader } from './event-reader';
import { EventStoreReader } from './event-store-reader';
import { SqliteEventReader } from './sqlite-reader';

export interface ReaderChoice {
  /** The embedded store's directory (holds events.db). */
  dataDir?: string;
  /** A KurrentDB connection string, e.g. `kurrentdb://localhost:2113?tls=false`. */
  eventstore?: string;
}

export async function openReader(choice: ReaderChoice): Promise<EventReader> {
  if (choice.eventstore !== undefined) return openKurrentReader(choice.eventstore);
  return SqliteEventReader.inDataDir(choice.dataDir ?? process.env.DATA_DIR ?? './data');
}

/** KurrentDB is read through the event-store port like any other store (no server is contacted until the first read). */
export async function openKurrentReader(connectionString: string): Promise<EventReader> {
  return new EventStoreReader(await openKurrentDbEventStore(connectionString), connectionString);
}
