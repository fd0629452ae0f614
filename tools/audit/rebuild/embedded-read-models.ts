import { StoredEvent } from '@concert/contracts';
import { BookingView } from '@concert/booking';
import { QueueLine } from '@concert/queue';
import { WalletBalances } from '@concert/wallet';
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
  readonly wallet = new WalletBalances();
  private logTimeMs = 0;
  private position = 0;

  constructor() {
    this.queue = new QueueLine(() => this.logTimeMs);
  }

  async applyPage(events: StoredEvent[]): Promise<void> {
    for (const e of events) {
      const at = Date.parse(e.metadata?.occurredAt);
      if (at > this.logTimeMs) this.logTimeMs = at;
      if (e.streamId.startsWith('booking-')) this.booking.apply(e);
      else if (e.streamId.startsWith('queue-')) this.queue.apply(e);
      else if (e.streamId.startsWith('wallet-')) this.wallet.apply(e);
      this.position = e.position;
    }
  }

  async finish(): Promise<EmbeddedRebuildSummary> {
    const { concerts, dates, seatsSold } = this.booking.totals();
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
      concerts,
      dates,
      reservations: this.booking.reservations.size,
      openHolds: this.booking.openHolds.size,
      openHoldsPastExpiry,
      seatsSold,
      payments,
      balances: { count: this.wallet.balances.size, total },
      tokens: { active: this.queue.activeCount(), waiting: this.queue.waitingCount() },
    };
  }
}
