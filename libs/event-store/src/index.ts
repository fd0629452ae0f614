export * from './event-store.port';
export * from './event-factory';
export * from './live-subscription';
export * from './aggregate';
export { SqliteEventStore } from './adapters/sqlite/sqlite-event-store';
export { InMemoryEventStore } from './adapters/memory/in-memory-event-store';
export { KurrentDbEventStore, KurrentDbEventStoreOptions } from './adapters/kurrentdb/kurrentdb-event-store';
