import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { StoredEvent, upcast, WalletEvent } from '@concert/contracts';
import { EVENT_STORE, EventStore, Subscription } from '@concert/event-store';
import { AppConfig, CLOCK, Clock, CONFIG, KeyedMutex } from '@concert/platform';

/** The balances read model, folded from the wallet's events; and the per-user command lane. */
@Injectable()
export class WalletRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  readonly balances = new Map<string, number>();
  readonly userLocks = new KeyedMutex();
  private subscription?: Subscription;

  constructor(
    @Inject(EVENT_STORE) readonly store: EventStore,
    @Inject(CONFIG) readonly config: AppConfig,
    @Inject(CLOCK) readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = this.store.subscribeAll(0, (e) => this.apply(e), { streamPrefixes: ['wallet-'] });
    await this.catchUp();
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.close();
  }

  private apply(stored: StoredEvent): void {
    const event = upcast<WalletEvent>(stored);
    switch (event.type) {
      case 'WalletCharged':
      case 'WalletDebited':
      case 'WalletRefunded':
        this.balances.set(event.data.userId, event.data.balanceAfter);
    }
  }

  async catchUp(position?: number): Promise<void> {
    await this.subscription?.caughtUpTo(position ?? (await this.store.headPosition()));
  }
}
