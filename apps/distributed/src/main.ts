import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '@concert/platform';
import { startGateway } from './gateway-process';
import { RunningProcess, startService } from './service-process';
import { isProcessRole, loadDistributedSettings, SERVICES } from './settings';

const SHUTDOWN_DEADLINE_MS = 15_000;
const logger = new Logger('Main');

/** `main.ts <queue|booking|wallet|gateway>`: one process of the distributed mode (MODE=distributed). */
async function main(): Promise<void> {
  const role = process.argv[2];
  if (!isProcessRole(role)) fail(`usage: main.ts <${SERVICES.join('|')}> (got ${role ?? 'nothing'})`);
  process.env.MODE ??= 'distributed';
  let config;
  let settings;
  try {
    config = loadConfig();
    settings = loadDistributedSettings();
  } catch (err) {
    if (err instanceof ConfigError || (err instanceof Error && err.message.startsWith('Invalid configuration')))
      fail(err.message);
    throw err;
  }
  if (config.mode !== 'distributed') fail('apps/distributed runs MODE=distributed only; `npm start` runs the embedded mode.');

  const running: RunningProcess =
    role === 'gateway' ? await startGateway(config, settings) : await startService(role, config, settings);
  closeOnSignals(running);
  process.send?.({ type: 'ready', service: role, pid: process.pid });
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

/** SIGTERM/SIGINT: stop taking requests, finish, close everything in order, exit 0; a second signal or a hang exits 1. */
function closeOnSignals(running: RunningProcess): void {
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
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`close failed: ${err instanceof Error ? err.stack : String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Started by tools/start-distributed.js: if the supervisor dies, do not outlive it.
  if (process.send) process.once('disconnect', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
