import { Logger } from '@nestjs/common';
import { MessageBus } from '@concert/bus';
import { EventStore, Subscription } from '@concert/event-store';
import { RelayCheckpoints } from './relay-checkpoints';

export interface EventRelayOptions {
  /** Checkpoint id, e.g. the service name. */
  name: string;
  topic: string;
  /** Only events of these streams are relayed (the service's own). */
  streamPrefixes: string[];
  /** Identifies this instance in the lease; stable across restarts of one instance, so it can take its lease back at once. */
  owner: string;
  batchSize?: number;
  /** Fallback poll when no new-event signal arrives (ms). Default 250. */
  idlePollMs?: number;
  /** How long a lease lasts without renewal (ms). Default 10 000. */
  leaseMs?: number;
}

/**
 * Relays a service's events from its event store to its topic, at least once, in store order:
 * read a page after the checkpoint, publish it (key = stream id), then move the checkpoint. A crash
 * between the two republishes the page, which idempotent consumers ignore. Command handlers never
 * write to Kafka themselves, so there is no dual write. Instances sharing one store take turns by lease.
 */
export class EventRelay {
  private readonly logger: Logger;
  private position = 0;
  private epoch: string | null = null;
  private leased = false;
  private renewAt = 0;
  private stopped = false;
  private running?: Promise<void>;
  private wakeSubscription?: Subscription;
  private wake?: () => void;
  private kicked = false;

  constructor(
    private readonly store: EventStore,
    private readonly bus: Pick<MessageBus, 'publish'>,
    private readonly checkpoints: RelayCheckpoints,
    private readonly options: EventRelayOptions,
  ) {
    this.logger = new Logger(`Relay:${options.name}`);
  }

  private get leaseMs(): number {
    return this.options.leaseMs ?? 10_000;
  }

  /** Position of the last event this relay published (0 before the first). */
  get publishedPosition(): number {
    return this.position;
  }

  get isLeader(): boolean {
    return this.leased;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const head = await this.store.headPosition();
    // A live subscription from the head only to learn, at once, that there is something new.
    this.wakeSubscription = this.store.subscribeAll(head, () => this.kick(), { streamPrefixes: this.options.streamPrefixes });
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.kick();
    await this.running;
    await this.wakeSubscription?.close();
    if (this.leased) {
      await this.checkpoints.release(this.options.name, this.options.owner).catch((err: unknown) => {
        this.logger.warn(`lease release failed: ${(err as Error).message}`);
      });
      this.leased = false;
    }
  }

  /** Resolves once every event up to `position` has been published (bounded by `timeoutMs`). */
  async publishedUpTo(position: number, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.position < position) {
      if (Date.now() > deadline)
        throw new Error(`relay ${this.options.name} at ${this.position}, not ${position}, after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private async loop(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        if (!this.leased || Date.now() >= this.renewAt) {
          if (!(await this.takeLease())) {
            await this.pause(this.leaseMs / 2);
            continue;
          }
        }
        const page = await this.store.readAll(this.position, this.options.batchSize ?? 500);
        if (page.length === 0) {
          await this.pause(this.options.idlePollMs ?? 250);
          continue;
        }
        const own = page.filter((e) => this.options.streamPrefixes.some((p) => e.streamId.startsWith(p)));
        if (own.length) await this.bus.publish(this.options.topic, own);
        const next = page[page.length - 1].position;
        if (!(await this.checkpoints.save(this.options.name, this.options.owner, next, await this.storeEpoch(), this.leaseMs))) {
          this.logger.warn('lease lost: another instance relays now');
          this.leased = false;
          continue;
        }
        this.position = next;
        this.renewAt = Date.now() + this.leaseMs / 3;
        failures = 0;
      } catch (err) {
        failures += 1;
        this.logger.warn(`relay failed (${failures} in a row), retrying: ${(err as Error).message}`);
        await this.pause(Math.min(5_000, 100 * 2 ** Math.min(failures, 6)));
      }
    }
  }

  private async takeLease(): Promise<boolean> {
    const doc = await this.checkpoints.acquire(this.options.name, this.options.owner, this.leaseMs);
    if (!doc) {
      this.leased = false;
      return false;
    }
    const epoch = await this.storeEpoch();
    let position = doc.position ?? 0;
    if (position > 0 && doc.epoch !== epoch) {
      this.logger.warn(
        `checkpoint ${position} belongs to another event store (first event ${doc.epoch}, not ${epoch}): relaying from the start`,
      );
      position = 0;
    }
    if (!this.leased)
      this.logger.log(`relaying ${this.options.streamPrefixes.join(',')}* to ${this.options.topic} from position ${position}`);
    this.position = position;
    this.leased = true;
    this.renewAt = Date.now() + this.leaseMs / 3;
    return true;
  }

  /** The id of the store's first event names the store (null while it is empty). */
  private async storeEpoch(): Promise<string | null> {
    if (this.epoch === null) this.epoch = (await this.store.readAll(0, 1))[0]?.id ?? null;
    return this.epoch;
  }

  private kick(): void {
    this.kicked = true;
    this.wake?.();
  }

  private pause(ms: number): Promise<void> {
    if (this.kicked || this.stopped) {
      this.kicked = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = undefined;
        this.kicked = false;
        done();
      };
    });
  }
}
