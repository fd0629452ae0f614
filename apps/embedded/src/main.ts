import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { closeOnSignals, ConfigError, loadConfig } from '@concert/platform';
import { createHttpApp, listen } from '@concert/gateway';
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
  closeOnSignals(() => app.close(), { deadlineMs: SHUTDOWN_DEADLINE_MS, log: (m) => logger.log(m) });
  await listen(app, config.port, config.host);
  logger.log(`concert booking (embedded) on http://${config.host}:${config.port}, data in ${config.dataDir}, pid ${process.pid}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
