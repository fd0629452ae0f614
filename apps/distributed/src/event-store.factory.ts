import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as eventStoreLib from '@concert/event-store';
import { EventStore, SqliteEventStore } from '@concert/event-store';
import { AppConfig } from '@concert/platform';

type KurrentDbEventStoreClass = new (connection: string, options?: Record<string, unknown>) => EventStore;

const KURRENTDB_ADAPTER = resolve(__dirname, '../../../libs/event-store/src/adapters/kurrentdb/kurrentdb-event-store.ts');

export class EventStoreUnavailableError extends Error {}

/**
 * EVENTSTORE_URL set: the KurrentDB adapter (one server for every service; each reads its own
 * stream prefix). Otherwise one SQLite file per service, `DATA_DIR/<service>.db`, polled so that
 * several instances of the service can share it.
 */
export async function openEventStore(config: AppConfig, service: string, pollIntervalMs: number): Promise<EventStore> {
  if (!config.eventstoreUrl) return new SqliteEventStore(join(config.dataDir, `${service}.db`), { pollIntervalMs });
  const KurrentDbEventStore = await loadKurrentDbAdapter();
  return new KurrentDbEventStore(config.eventstoreUrl);
}

async function loadKurrentDbAdapter(): Promise<KurrentDbEventStoreClass> {
  const exported = (eventStoreLib as Record<string, unknown>).KurrentDbEventStore;
  if (typeof exported === 'function') return exported as KurrentDbEventStoreClass;
  if (existsSync(KURRENTDB_ADAPTER)) {
    const mod = (await import(KURRENTDB_ADAPTER)) as { KurrentDbEventStore?: unknown };
    if (typeof mod.KurrentDbEventStore === 'function') return mod.KurrentDbEventStore as KurrentDbEventStoreClass;
  }
  throw new EventStoreUnavailableError(
    'EVENTSTORE_URL is set but the KurrentDB event-store adapter (libs/event-store/src/adapters/kurrentdb) is not in this build: ' +
      'unset EVENTSTORE_URL to use one SQLite file per service in DATA_DIR.',
  );
}
