import 'reflect-metadata';
import { setFlagsFromString } from 'node:v8';
import { Logger } from '@nestjs/common';
import { closeOnSignals, ConfigError, loadConfig } from '@concert/platform';
import { createHttpApp, listen } from '@concert/gateway';
import { EmbeddedAppModule } from './embedded-app.module';

const SHUTDOWN_DEADLINE_MS = 10_000;
const logger = new Logger('Main');

// Boot folds the whole log into the read models, so the heap grows fast; V8 then lets the old space grow
// up to four times past what survived its last full GC, and whether the peak lands at 330 or 500 MiB on
// a million events is down to GC timing. While booting, the heap grows by at most half; once serving,
// V8's own heuristic again (it spends less CPU on GC while the line and the holds grow).
const BOOT_HEAP_GROWING = '--heap-growing-percent=50';
const SERVING_HEAP_GROWING = '--heap-growing-percent=0';

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
  setFlagsFromString(BOOT_HEAP_GROWING);
  const app = await createHttpApp(EmbeddedAppModule.forRoot({ config }), { shutdownHooks: false });
  closeOnSignals(() => app.close(), { deadlineMs: SHUTDOWN_DEADLINE_MS, log: (m) => logger.log(m) });
  await listen(app, config.port, config.host);
  setFlagsFromString(SERVING_HEAP_GROWING);
  logger.log(`concert booking (embedded) on http://${config.host}:${config.port}, data in ${config.dataDir}, pid ${process.pid}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
