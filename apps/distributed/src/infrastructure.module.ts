import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { MESSAGE_BUS, MessageBus } from '@concert/bus';
import { EVENT_STORE, EventStore } from '@concert/event-store';
import { AppConfig, CLOCK, Clock, CONFIG, systemClock } from '@concert/platform';

export interface DistributedInfrastructure {
  config: AppConfig;
  bus: MessageBus;
  /** The service's own store; the gateway has none. */
  store?: EventStore;
  clock?: Clock;
}

/**
 * The distributed adapters for one process. Their lifecycle (connect, listen, close) is the
 * entrypoint's: it must stop taking requests before the modules stop, and close the store last.
 */
@Global()
@Module({})
export class DistributedInfrastructureModule {
  static forRoot({ config, bus, store, clock = systemClock }: DistributedInfrastructure): DynamicModule {
    const providers: Provider[] = [
      { provide: CONFIG, useValue: config },
      { provide: CLOCK, useValue: clock },
      { provide: MESSAGE_BUS, useValue: bus },
    ];
    if (store) providers.push({ provide: EVENT_STORE, useValue: store });
    return {
      module: DistributedInfrastructureModule,
      providers,
      exports: providers.map((p) => (p as { provide: symbol }).provide),
    };
  }
}
