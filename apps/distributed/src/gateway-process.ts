import { DynamicModule, Logger, Module } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createHttpApp, GatewayModule, listen } from '@concert/gateway';
import { KafkaBus } from '@concert/distributed';
import { AppConfig } from '@concert/platform';
import { DistributedInfrastructureModule } from './infrastructure.module';
import { RunningProcess } from './service-process';
import { DistributedSettings } from './settings';

@Module({})
class GatewayAppModule {
  static forRoot(infrastructure: Parameters<typeof DistributedInfrastructureModule.forRoot>[0]): DynamicModule {
    return { module: GatewayAppModule, imports: [DistributedInfrastructureModule.forRoot(infrastructure), GatewayModule] };
  }
}

/** The HTTP API alone: stateless, no event store; every request becomes a Kafka request to a service. */
export async function startGateway(config: AppConfig, settings: DistributedSettings): Promise<RunningProcess & { url: string }> {
  const logger = new Logger('Distributed:gateway');
  const bus = new KafkaBus({
    brokers: config.kafkaBrokers!,
    service: 'gateway',
    namespace: settings.kafkaNamespace,
    partitions: settings.kafkaPartitions,
    requestTimeoutMs: settings.requestTimeoutMs,
  });
  let app: NestFastifyApplication | undefined;
  try {
    // Own a reply partition before taking traffic, so the first request does not wait for the group.
    await bus.connectRequests();
    app = await createHttpApp(GatewayAppModule.forRoot({ config, bus }), { shutdownHooks: false });
    await listen(app, config.port, config.host);
  } catch (err) {
    await app?.close().catch(() => undefined);
    await bus.close();
    throw err;
  }
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
  logger.log(`gateway ready on ${url}`);
  const http = app;
  return {
    url,
    async close() {
      await http.close();
      await bus.close();
    },
  };
}
