import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EVENT_STORE, EventStore, Subscription } from '@concert/event-store';
import { AppConfig, CLOCK, Clock, CONFIG, KeyedMutex } from '@concert/platform';
import { BookingView } from '../read-model/booking-view';

/** Booking's read models and its per-stream command lanes. */
@Injectable()
export class BookingRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  readonly logger = new Logger('Booking');
  readonly view = new BookingView();
  readonly locks = new KeyedMutex();
  private subscription?: Subscription;

  constructor(
    @Inject(EVENT_STORE) readonly store: EventStore,
    @Inject(CONFIG) readonly config: AppConfig,
    @Inject(CLOCK) readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.catchUp();
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.close();
  }

  /** Read-your-writes: resolves once the view has folded everything up to `position` (default: the store's head). */
  async catchUp(position?: number): Promise<void> {
    // Whichever bootstrap hook comes first starts the view: the seeder and the saga's recovery read it at boot.
    this.subscription ??= this.store.subscribeAll(0, (e) => this.view.apply(e), { streamPrefixes: ['booking-'] });
    await this.subscription.caughtUpTo(position ?? (await this.store.headPosition()));
  }
}
