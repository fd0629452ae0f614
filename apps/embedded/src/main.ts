import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ConfigError, loadConfig } from '@concert/platform';
import { createHttpApp } from '@concert/gateway';
import { EmbeddedAppModule } from './embedded-app.module';

const SHUTDOWN_DEADLINE_MS = 10_000;
const logger = new Logger('Main');

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  if (config.mode === 'distributed') {
    process.stderr.write('MODE=distributed runs each service as its own process: use `npm run start:distributed`.\n');
    process.exit(2);
  }
  const app = await createHttpApp(EmbeddedAppModule.forRoot({ config }), { shutdownHooks: false });
  closeOnSignals(app);
  await app.listen(config.port, config.host);
  logger.log(`concert booking (embedded) on http://${config.host}:${config.port}, data in ${config.dataDir}, pid ${process.pid}`);
}

/**
 * SIGTERM/SIGINT: stop taking requests, let the modules finish and the store close, then exit 0.
 * A second signal or a close that hangs exits 1 at once; nothing acknowledged is lost either way.
 */
function closeOnSignals(app: NestFastifyApplication): void {
  let closing = false;
  const stop = (signal: NodeJS.Signals) => {
    if (closing) {
      process.stderr.write(`${signal} while closing: exiting now\n`);
      process.exit(1);
    }
    closing = true;
    logger.log(`${signal}: closing`);
    setTimeout(() => {
      process.stderr.write(`did not close within ${SHUTDOWN_DEADLINE_MS} ms: exiting\n`);
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS).unref();
    app.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`close failed: ${err instanceof Error ? err.stack : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
