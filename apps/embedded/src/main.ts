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
// a million events is down to GC timing. So the heap grows by at most half past what survived the last full
// GC, while booting and while serving: left to V8's own heuristic once serving, a server that had folded a
// million events let its heap grow to about four times its 150 MB of live data under a few seconds of
// status polls in about one run in ten (RSS 330 -> 770 MiB, given back at once by the full GC that finally
// came); allowed to double, it still peaked at 476 MiB in one run of twelve.
const HEAP_GROWING = '--heap-growing-percent=50';

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
  setFlagsFromString(HEAP_GROWING);
  const app = await createHttpApp(EmbeddedAppModule.forRoot({ config }), { shutdownHooks: false });
  closeOnSignals(() => app.close(), { deadlineMs: SHUTDOWN_DEADLINE_MS, log: (m) => logger.log(m) });
  await listen(app, config.port, config.host);
  logger.log(`concert booking (embedded) on http://${config.host}:${config.port}, data in ${config.dataDir}, pid ${process.pid}`);
}

main().catch((err: unknown) => {
  process.stderr.write(`failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
