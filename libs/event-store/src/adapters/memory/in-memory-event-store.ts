import { NewEvent, StoredEvent } from '@concert/contracts';
import {
  AppendOptions,
  AppendResult,
  EventHandler,
  EventStore,
  ExpectedRevision,
  RequiredEventMissingError,
  revisionMatches,
  SubscribeOptions,
  Subscription,
  WrongExpectedRevisionError,
} from '../../event-store.port';
import { PullSubscription } from '../../live-subscription';

/** The unit-test adapter: same semantics as SQLite, kept in arrays; reads hand out copies, as a real store would. */
export class InMemoryEventStore implements EventStore {
  private readonly all: StoredEvent[] = [];
  private readonly streams = new Map<string, StoredEvent[]>();
  private readonly ids = new Map<string, StoredEvent>();
  private readonly subscriptions = new Set<PullSubscription>();

  async append(streamId: string, events: NewEvent[], expected: ExpectedRevision, options?: AppendOptions): Promise<AppendResult> {
    if (events.length === 0) throw new Error('append needs at least one event');
    await Promise.resolve();
    const required = options?.after;
    if (required && this.ids.get(required.eventId)?.streamId !== required.streamId)
      throw new RequiredEventMissingError(streamId, required);
    const first = this.ids.get(events[0].id);
    if (first) {
      const last = this.ids.get(events[events.length - 1].id);
      if (first.streamId === streamId && last) return { nextRevision: last.revision, position: last.position };
      throw new Error(`Event ${events[0].id} already exists in ${first.streamId}`);
    }
    const ids = new Set(events.map((e) => e.id));
    if (ids.size !== events.length) throw new Error(`Append to ${streamId} repeats an event id`);
    const known = events.find((e) => this.ids.has(e.id));
    if (known) throw new Error(`Event ${known.id} already exists in ${this.ids.get(known.id)!.streamId}`);
    const stream = this.streams.get(streamId) ?? [];
    const head = stream.length - 1;
    if (!revisionMatches(expected, head)) throw new WrongExpectedRevisionError(streamId, expected, head);
    for (const e of events) {
      const stored: StoredEvent = {
        ...structuredClone(e),
        streamId,
        revision: stream.length,
        position: this.all.length + 1,
      };
      stream.push(stored);
      this.all.push(stored);
      this.ids.set(e.id, stored);
    }
    this.streams.set(streamId, stream);
    for (const s of this.subscriptions) s.signal();
    return { nextRevision: stream.length - 1, position: this.all.length };
  }

  async readStream(streamId: string, fromRevision = 0): Promise<StoredEvent[]> {
    return structuredClone((this.streams.get(streamId) ?? []).slice(fromRevision));
  }

  async readAll(after: number, limit: number): Promise<StoredEvent[]> {
    return structuredClone(this.all.slice(Math.max(0, after), Math.max(0, after) + limit));
  }

  subscribeAll(after: number, handler: EventHandler, options: SubscribeOptions = {}): Subscription {
    const sub = new PullSubscription(
      (a, l) => this.readAll(a, l),
      after,
      handler,
      options,
      (s) => this.subscriptions.delete(s),
    );
    this.subscriptions.add(sub);
    return sub;
  }

  async headPosition(): Promise<number> {
    return this.all.length;
  }

  async close(): Promise<void> {
    for (const s of [...this.subscriptions]) await s.close();
  }
}
