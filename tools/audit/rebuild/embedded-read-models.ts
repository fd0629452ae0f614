import { StoredEvent } from '@concert/contracts';
import { EventHandler, EventStore, SubscribeOptions, Subscription } from '@concert/event-store';
import { loadConfig, systemClock } from '@concert/platform';
// The services export only their Nest modules; these are the read-model classes they fold at boot.
// eslint-disable-next-line @nx/enforce-module-boundaries
import { BookingView } from '../../../services/booking/src/read-model/booking-view';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { QueueLine } from '../../../services/queue/src/line/queue-line';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { WalletRuntime } from '../../../services/wallet/src/application/wallet.runtime';
import { ReadModelSink } from './read-model-sink';

export interface EmbeddedRebuildSummary {
  position: number;
  concerts: number;
  dates: number;
  reservations: number;
  openHolds: number;
  /** Open holds already past expiresAt at the log's last event (reads treat them as free). */
  openHoldsPastExpiry: number;
  seatsSold: number;
  payments: Record<'Started' | 'Completed' | 'Failed' | 'Refunded', number>;
  balances: { count: number; total: number };
  tokens: { active: number; waiting: number };
}

/**
 * The embedded read models, folded exactly as the services fold them at boot: booking's
 * BookingView, the queue's QueueLine, and the wallet's balances in its WalletRuntime (fed through
 * a replay-only store, since the runtime subscribes to the store itself).
 */
export class EmbeddedReadModels implements ReadModelSink<EmbeddedRebuildSummary> {
  readonly name = 'embedded';
  readonly booking = new BookingView();
  readonly queue: QueueLine;
  readonly wallet: WalletRuntime;
  private readonly walletFeed = new ReplayFeed();
  private logTimeMs = 0;
  private position = 0;
  private started?: Promise<void>;

  constructor() {
    this.queue = new QueueLine(() => this.logTimeMs);
    // The runtime only folds events here; the secret is required by the config type, never used.
    const config = loadConfig({ JWT_SECRET: 'audit-rebuild-does-not-sign-any-token!', SEED_DEMO: 'false' });
    this.wallet = new WalletRuntime(this.walletFeed, config, systemClock);
  }

  async applyPage(events: StoredEvent[]): Promise<void> {
    this.started ??= this.wallet.onApplicationBootstrap();
    await this.started;
    for (const e of events) {
      const at = Date.parse(e.metadata?.occurredAt);
      if (at > this.logTimeMs) this.logTimeMs = at;
      if (e.streamId.startsWith('booking-')) this.booking.apply(e);
      else if (e.streamId.startsWith('queue-')) this.queue.apply(e);
      else {
        const delivered = this.walletFeed.deliver(e);
        if (delivered) await delivered;
      }
      this.position = e.position;
    }
  }

  async finish(): Promise<EmbeddedRebuildSummary> {
    await this.wallet.onModuleDestroy();
    // BookingView keeps its catalog and sold seats private: services ask it per concert, the audit wants the totals.
    const concerts = this.booking['concerts'];
    const sold = this.booking['sold'];
    let dates = 0;
    for (const concert of concerts.values()) dates += concert.schedules.size;
    let openHoldsPastExpiry = 0;
    for (const id of this.booking.openHolds) {
      const record = this.booking.reservations.get(id);
      if (record && record.expiresAtMs <= this.logTimeMs) openHoldsPastExpiry++;
    }
    const payments = { Started: 0, Completed: 0, Failed: 0, Refunded: 0 };
    for (const p of this.booking.payments.values()) payments[p.status]++;
    let total = 0;
    for (const balance of this.wallet.balances.values()) total += balance;
    return {
      position: this.position,
      concerts: concerts.size,
      dates,
      reservations: this.booking.reservations.size,
      openHolds: this.booking.openHolds.size,
      openHoldsPastExpiry,
      seatsSold: sold.size,
      payments,
      balances: { count: this.wallet.balances.size, total },
      tokens: { active: this.queue.activeCount(), waiting: this.queue.waitingCount() },
    };
  }
}

/** A store that only replays what it is handed to its subscribers; it cannot be written. */
class ReplayFeed implements EventStore {
  private readonly subscribers: { handler: EventHandler; prefixes?: string[] }[] = [];

  /** Hands the event to each matching subscriber; a promise only if one of them returned one. */
  deliver(event: StoredEvent): Promise<void> | undefined {
    let pending: Promise<void>[] | undefined;
    for (const s of this.subscribers) {
      if (s.prefixes && !s.prefixes.some((p) => event.streamId.startsWith(p))) continue;
      const result = s.handler(event);
      if (result instanceof Promise) (pending ??= []).push(result);
    }
    return pending && Promise.all(pending).then(() => undefined);
  }

  subscribeAll(_after: number, handler: EventHandler, options: SubscribeOptions = {}): Subscription {
    const entry = { handler, prefixes: options.streamPrefixes };
    this.subscribers.push(entry);
    return {
      close: async () => {
        this.subscribers.splice(this.subscribers.indexOf(entry), 1);
      },
      caughtUpTo: async () => undefined,
    };
  }

  async append(): Promise<never> {
    throw new Error('the rebuild replay is read-only');
  }

  async readStream(): Promise<StoredEvent[]> {
    return [];
  }

  async readAll(): Promise<StoredEvent[]> {
    return [];
  }

  async headPosition(): Promise<number> {
    return 0;
  }

  async close(): Promise<void> {
    this.subscribers.length = 0;
  }
}
