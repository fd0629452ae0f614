import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { closeOnSignals, ConfigError, loadConfig } from '@concert/platform';
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
  closeOnSignals(() => running.close(), { deadlineMs: SHUTDOWN_DEADLINE_MS, log: (m) => logger.log(m), exitWithParent: true });
  process.send?.({ type: 'ready', service: role, pid: process.pid });
}

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(2);
}

main().catch((err: unknown) => {
  process.stderr.write(`failed to start: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
