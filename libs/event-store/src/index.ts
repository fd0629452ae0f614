export * from './event-store.port';
export * from './event-factory';
export * from './live-subscription';
export * from './aggregate';
export { SqliteEventStore } from './adapters/sqlite/sqlite-event-store';
export { InMemoryEventStore } from './adapters/memory/in-memory-event-store';
export type { KurrentDbEventStore, KurrentDbEventStoreOptions } from './adapters/kurrentdb/kurrentdb-event-store';

/** The KurrentDB adapter, loaded on demand: its gRPC client costs memory the embedded mode never uses. */
export async function openKurrentDbEventStore(
  connectionString: string,
  options?: import('./adapters/kurrentdb/kurrentdb-event-store').KurrentDbEventStoreOptions,
): Promise<import('./adapters/kurrentdb/kurrentdb-event-store').KurrentDbEventStore> {
  const { KurrentDbEventStore } = await import('./adapters/kurrentdb/kurrentdb-event-store');
  return new KurrentDbEventStore(connectionString, options);
}
