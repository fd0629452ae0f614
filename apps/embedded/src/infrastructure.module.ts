import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { join } from 'node:path';
import { InProcessBus, MESSAGE_BUS, MessageBus } from '@concert/bus';
import { EVENT_STORE, EventStore, SqliteEventStore } from '@concert/event-store';
import { AppConfig, CLOCK, Clock, CONFIG, systemClock } from '@concert/platform';

/** Closes the store after every module has stopped using it. */
@Injectable()
class Lifecycle implements OnApplicationShutdown {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    await this.bus.close();
    await this.store.close();
  }
}

export interface EmbeddedOptions {
  config: AppConfig;
  clock?: Clock;
  store?: EventStore;
}

/** The embedded adapters: the SQLite event store in DATA_DIR and the in-process bus. */
@Global()
@Module({})
export class EmbeddedInfrastructureModule {
  static forRoot({ config, clock = systemClock, store }: EmbeddedOptions): DynamicModule {
    return {
      module: EmbeddedInfrastructureModule,
      providers: [
        { provide: CONFIG, useValue: config },
        { provide: CLOCK, useValue: clock },
        { provide: EVENT_STORE, useFactory: () => store ?? new SqliteEventStore(join(config.dataDir, 'events.db')) },
        { provide: MESSAGE_BUS, useFactory: () => new InProcessBus() },
        Lifecycle,
      ],
      exports: [CONFIG, CLOCK, EVENT_STORE, MESSAGE_BUS],
    };
  }
}
