import { DynamicModule, INestApplicationContext, Logger, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Connection } from 'mongoose';
import { BookingModule } from '@concert/booking';
import { QueueModule } from '@concert/queue';
import { WalletModule } from '@concert/wallet';
import {
  connectMongo,
  ContextName,
  CONTEXTS,
  EventRelay,
  KafkaBus,
  MongoReadModels,
  ReadModelProjector,
  ReadYourWritesStore,
  RelayCheckpoints,
} from '@concert/distributed';
import { EventStore } from '@concert/event-store';
import { AppConfig } from '@concert/platform';
import { openEventStore } from './event-store.factory';
import { DistributedInfrastructureModule } from './infrastructure.module';
import { DistributedSettings } from './settings';

const SERVICE_MODULES: Record<ContextName, Type> = { queue: QueueModule, booking: BookingModule, wallet: WalletModule };

@Module({})
class ServiceAppModule {
  static forRoot(
    service: ContextName,
    infrastructure: Parameters<typeof DistributedInfrastructureModule.forRoot>[0],
  ): DynamicModule {
    return {
      module: ServiceAppModule,
      imports: [DistributedInfrastructureModule.forRoot(infrastructure), SERVICE_MODULES[service]],
    };
  }
}

export interface RunningProcess {
  close(): Promise<void>;
}

/**
 * One service in its own process: its module on its own event store, commands from Kafka, its
 * events relayed to its topic, and its MongoDB read models projected from that topic.
 */
export async function startService(
  service: ContextName,
  config: AppConfig,
  settings: DistributedSettings,
): Promise<RunningProcess> {
  const logger = new Logger(`Distributed:${service}`);
  const steps: (() => Promise<void>)[] = [];
  const closeAll = async () => {
    for (const step of steps.reverse()) {
      await step().catch((err: unknown) => logger.error(`close: ${err instanceof Error ? err.message : String(err)}`));
    }
  };
  try {
    const rawStore: EventStore = await openEventStore(config, service, settings.storePollMs);
    steps.push(() => rawStore.close());
    const mongo: Connection = await connectMongo(config.mongoUrl!);
    steps.push(() => mongo.close());
    const store = new ReadYourWritesStore(rawStore);
    const bus = new KafkaBus({
      brokers: config.kafkaBrokers!,
      service,
      namespace: settings.kafkaNamespace,
      partitions: settings.kafkaPartitions,
      requestTimeoutMs: settings.requestTimeoutMs,
      // Another instance may have written what this request reads: catch the read models up first.
      beforeHandle: () => store.fence(),
    });
    // The bus closes before Mongo: its read-model consumers write there until they stop.
    steps.push(() => bus.close());

    const app: INestApplicationContext = await NestFactory.createApplicationContext(
      ServiceAppModule.forRoot(service, { config, bus, store }),
      { logger: ['error', 'warn', 'log'], abortOnError: false },
    );
    steps.push(() => app.close());
    // Modules registered their handlers in onModuleInit and caught up in onApplicationBootstrap.
    await bus.listen();
    steps.push(() => bus.stopServing());

    const models = new MongoReadModels(mongo, [service]);
    await models.ensureIndexes();
    await new ReadModelProjector(bus, models).start();

    const relay = new EventRelay(rawStore, bus, new RelayCheckpoints(mongo), {
      name: `${settings.kafkaNamespace}${service}`,
      topic: CONTEXTS[service].topic,
      streamPrefixes: [CONTEXTS[service].streamPrefix],
      owner: settings.instanceId,
    });
    await relay.start();
    steps.push(() => relay.stop());
    logger.log(`${service} ready: commands from Kafka, events relayed to ${settings.kafkaNamespace}${CONTEXTS[service].topic}`);
  } catch (err) {
    await closeAll();
    throw err;
  }
  // Reverse order of start: stop taking requests, stop the relay, stop the modules, then the bus, Mongo and the store.
  return { close: closeAll };
}
