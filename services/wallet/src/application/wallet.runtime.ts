import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { EVENT_STORE, EventStore, Subscription } from '@concert/event-store';
import { AppConfig, CLOCK, Clock, CONFIG, KeyedMutex } from '@concert/platform';
import { WalletBalances } from '../read-model/wallet-balances';

/** The balances read model, folded from the wallet's events; and the per-user command lane. */
@Injectable()
export class WalletRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly view = new WalletBalances();
  readonly balances = this.view.balances;
  readonly userLocks = new KeyedMutex();
  private subscription?: Subscription;

  constructor(
    @Inject(EVENT_STORE) readonly store: EventStore,
    @Inject(CONFIG) readonly config: AppConfig,
    @Inject(CLOCK) readonly clock: Clock,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = this.store.subscribeAll(0, (e) => this.view.apply(e), { streamPrefixes: ['wallet-'] });
    await this.catchUp();
  }

  async onModuleDestroy(): Promise<void> {
    await this.subscription?.close();
  }

  async catchUp(position?: number): Promise<void> {
    await this.subscription?.caughtUpTo(position ?? (await this.store.headPosition()));
  }
}
