import { NewEvent, StoredEvent } from '@concert/contracts';
import {
  AppendOptions,
  AppendResult,
  EventHandler,
  EventStore,
  ExpectedRevision,
  SubscribeOptions,
  Subscription,
} from '@concert/event-store';

/**
 * The service's event store, plus `fence()`: wait until every subscription the service opened
 * (its in-memory read models) has caught up with the store's head. Run before each request, it
 * gives read-your-writes across instances: a hold taken by one booking instance is known to the
 * other one that receives the payment, though its read model learns of it by polling the store.
 */
export class ReadYourWritesStore implements EventStore {
  private readonly subscriptions = new Set<Subscription>();

  constructor(readonly inner: EventStore) {}

  async fence(): Promise<void> {
    if (this.subscriptions.size === 0) return;
    const head = await this.inner.headPosition();
    await Promise.all([...this.subscriptions].map((s) => s.caughtUpTo(head)));
  }

  append(streamId: string, events: NewEvent[], expected: ExpectedRevision, options?: AppendOptions): Promise<AppendResult> {
    return this.inner.append(streamId, events, expected, options);
  }

  readStream(streamId: string, fromRevision?: number): Promise<StoredEvent[]> {
    return this.inner.readStream(streamId, fromRevision);
  }

  readAll(after: number, limit: number): Promise<StoredEvent[]> {
    return this.inner.readAll(after, limit);
  }

  subscribeAll(after: number, handler: EventHandler, options?: SubscribeOptions): Subscription {
    const inner = this.inner.subscribeAll(after, handler, options);
    const tracked: Subscription = {
      caughtUpTo: (position) => inner.caughtUpTo(position),
      close: async () => {
        this.subscriptions.delete(tracked);
        await inner.close();
      },
    };
    this.subscriptions.add(tracked);
    return tracked;
  }

  headPosition(): Promise<number> {
    return this.inner.headPosition();
  }

  close(): Promise<void> {
    this.subscriptions.clear();
    return this.inner.close();
  }
}
