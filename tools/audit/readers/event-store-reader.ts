import { StoredEvent } from '@concert/contracts';
import { EventStore } from '@concert/event-store';
import { AuditEvent, EventReader } from './event-reader';

/**
 * Any adapter of the EventStore port as an audit reader (KurrentDB, in-memory): slower than the
 * direct SQLite reader, since every page is a promise and events arrive with parsed metadata.
 */
export class EventStoreReader implements EventReader {
  constructor(
    private readonly store: EventStore,
    readonly source: string,
    private readonly ownsStore = true,
  ) {}

  async readPage(after: number, limit: number): Promise<AuditEvent[]> {
    const events = await this.store.readAll(after, limit);
    return events.map((e) => ({
      position: e.position,
      streamId: e.streamId,
      revision: e.revision,
      id: e.id,
      type: e.type,
      version: e.version,
      data: e.data,
      occurredAt: e.metadata?.occurredAt ?? '',
    }));
  }

  readEvents(after: number, limit: number): Promise<StoredEvent[]> {
    return this.store.readAll(after, limit);
  }

  readStream(streamId: string): Promise<StoredEvent[]> {
    return this.store.readStream(streamId);
  }

  headPosition(): Promise<number> {
    return this.store.headPosition();
  }

  async close(): Promise<void> {
    if (this.ownsStore) await this.store.close();
  }
}
