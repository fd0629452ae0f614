import { StoredEvent } from '@concert/contracts';
import { EventHandler, SubscribeOptions, Subscription } from './event-store.port';

/** A page of a filtered read: `through` is the last position looked at, matching or not. */
export interface FilteredPage {
  events: StoredEvent[];
  through: number;
}

type Reader = (after: number, limit: number) => Promise<StoredEvent[] | FilteredPage>;

const PAGE = 2000;
const FIRST_RETRY_MS = 50;
const MAX_RETRY_MS = 5000;

/**
 * Catch-up then live subscription shared by the adapters: it pulls pages after its own
 * checkpoint whenever the store signals new events, so it never skips or repeats one.
 */
export class PullSubscription implements Subscription {
  private checkpoint: number;
  private delivered: number;
  private closed = false;
  private pulling = false;
  private pendingSignal = false;
  private waiters: { position: number; resolve: () => void; reject: (e: unknown) => void }[] = [];
  private timer?: NodeJS.Timeout;
  private retryTimer?: NodeJS.Timeout;
  private retryDelay = FIRST_RETRY_MS;
  private failure?: unknown;

  constructor(
    private readonly read: Reader,
    after: number,
    private readonly handler: EventHandler,
    private readonly options: SubscribeOptions,
    private readonly onClose: (s: PullSubscription) => void,
    pollIntervalMs?: number,
  ) {
    this.checkpoint = after;
    this.delivered = after;
    if (pollIntervalMs) this.timer = setInterval(() => this.signal(), pollIntervalMs).unref();
    this.signal();
  }

  /** Called by the store after each commit. */
  signal(): void {
    if (this.closed) return;
    if (this.pulling) {
      this.pendingSignal = true;
      return;
    }
    this.pulling = true;
    void this.pull();
  }

  private async pull(): Promise<void> {
    try {
      do {
        this.pendingSignal = false;
        for (;;) {
          const result = await this.read(this.checkpoint, PAGE);
          const page = Array.isArray(result) ? result : result.events;
          const through = Array.isArray(result) ? 0 : result.through;
          if ((page.length === 0 && through <= this.checkpoint) || this.closed) break;
          for (const event of page) {
            if (this.closed) return;
            if (this.accepts(event)) await this.handler(event);
            this.checkpoint = event.position;
          }
          this.checkpoint = Math.max(this.checkpoint, through);
          this.delivered = this.checkpoint;
          this.resolveWaiters();
          if (page.length < PAGE) break;
        }
      } while (this.pendingSignal && !this.closed);
      this.failure = undefined;
      this.retryDelay = FIRST_RETRY_MS;
    } catch (err) {
      // The failed event is not checkpointed: the retry hands it to the handler again, so none is skipped.
      this.failure = err;
      for (const w of this.waiters.splice(0)) w.reject(err);
      this.scheduleRetry();
    } finally {
      this.pulling = false;
    }
  }

  private scheduleRetry(): void {
    if (this.closed || this.retryTimer) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.signal();
    }, this.retryDelay).unref();
    this.retryDelay = Math.min(this.retryDelay * 2, MAX_RETRY_MS);
  }

  private accepts(event: StoredEvent): boolean {
    const prefixes = this.options.streamPrefixes;
    return !prefixes || prefixes.some((p) => event.streamId.startsWith(p));
  }

  private resolveWaiters(): void {
    this.waiters = this.waiters.filter((w) => {
      if (w.position <= this.delivered) {
        w.resolve();
        return false;
      }
      return true;
    });
  }

  caughtUpTo(position: number): Promise<void> {
    if (position <= this.delivered) return Promise.resolve();
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.waiters.push({ position, resolve, reject });
      this.signal();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    for (const w of this.waiters.splice(0)) w.reject(new Error('subscription closed'));
    this.onClose(this);
  }
}
