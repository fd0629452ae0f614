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

export type CrashPoint = (streamId: string, events: NewEvent[]) => boolean;

/**
 * Simulates a process that dies right after a chosen append reached the disk: that append is
 * kept, its caller gets an error, and no later append is accepted. Reads keep working.
 * Or a commit that fails: a chosen append never reaches the store, the ones after it do.
 */
export class CrashingStore implements EventStore {
  private crashPoint?: CrashPoint;
  private failPoint?: CrashPoint;
  dead = false;

  /** `soleWriter`: pass on the inner store's (the embedded mode's), or say another writer may be there. */
  constructor(
    private readonly inner: EventStore,
    private readonly options: { soleWriter: boolean } = { soleWriter: true },
  ) {}

  get soleWriter(): boolean | undefined {
    return this.options.soleWriter ? this.inner.soleWriter : false;
  }

  /** The next append `point` selects is not stored and its caller gets an error; later appends go on. */
  failOnce(point: CrashPoint): void {
    this.failPoint = point;
  }

  /** Runs `effect` right after an append that `point` selects has landed (e.g. to move a test clock). */
  private taps: { point: CrashPoint; effect: () => void }[] = [];

  crashAfter(point: CrashPoint): void {
    this.crashPoint = point;
  }

  tapAfter(point: CrashPoint, effect: () => void): void {
    this.taps.push({ point, effect });
  }

  revive(): void {
    this.dead = false;
    this.crashPoint = undefined;
  }

  async append(streamId: string, events: NewEvent[], expected: ExpectedRevision, options?: AppendOptions): Promise<AppendResult> {
    if (this.dead) throw new Error('simulated crash: the process is gone');
    if (this.failPoint?.(streamId, events)) {
      this.failPoint = undefined;
      throw new Error(`simulated failed commit of ${events.map((e) => e.type).join(',')} on ${streamId}`);
    }
    const result = await this.inner.append(streamId, events, expected, options);
    for (const tap of this.taps) if (tap.point(streamId, events)) tap.effect();
    if (this.crashPoint?.(streamId, events)) {
      this.dead = true;
      throw new Error(`simulated crash after ${events.map((e) => e.type).join(',')} on ${streamId}`);
    }
    return result;
  }

  readStream(streamId: string, fromRevision?: number): Promise<StoredEvent[]> {
    return this.inner.readStream(streamId, fromRevision);
  }

  readAll(after: number, limit: number): Promise<StoredEvent[]> {
    return this.inner.readAll(after, limit);
  }

  subscribeAll(after: number, handler: EventHandler, options?: SubscribeOptions): Subscription {
    return this.inner.subscribeAll(after, handler, options);
  }

  headPosition(): Promise<number> {
    return this.inner.headPosition();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

export const afterEventOfType =
  (type: string): CrashPoint =>
  (_streamId, events) =>
    events.some((e) => e.type === type);
