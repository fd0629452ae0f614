import { join } from 'node:path';
import { EventStore, openKurrentDbEventStore, SqliteEventStore } from '@concert/event-store';
import { AppConfig } from '@concert/platform';

/**
 * EVENTSTORE_URL set: KurrentDB (one server for every service; each reads its own stream prefix).
 * Otherwise one SQLite file per service, `DATA_DIR/<service>.db`, polled so that several instances
 * of the service can share it.
 */
export async function openEventStore(config: AppConfig, service: string, pollIntervalMs: number): Promise<EventStore> {
  if (!config.eventstoreUrl) return new SqliteEventStore(join(config.dataDir, `${service}.db`), { pollIntervalMs });
  return openKurrentDbEventStore(config.eventstoreUrl);
}
