import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig, Clock, loadConfig } from '@concert/platform';
import { EventStore } from '@concert/event-store';

export interface EmbeddedServer {
  url: string;
  app: NestFastifyApplication;
  config: AppConfig;
  dataDir: string;
  close(options?: { keepData?: boolean }): Promise<void>;
}

export interface StartOptions {
  /** Settings as env vars (README: Settings), e.g. `{ QUEUE_MAX_ACTIVE: '3' }`. */
  env?: Record<string, string>;
  /** Reuse a data dir (restart scenarios); a fresh temp dir otherwise. */
  dataDir?: string;
  clock?: Clock;
  store?: EventStore;
}

/** Boots the real embedded app (all four services, SQLite store) on an ephemeral loopback port. */
export async function startEmbedded(options: StartOptions = {}): Promise<EmbeddedServer> {
  // The harness boots the real composition root, which no library may otherwise import; loaded lazily
  // so unit specs that import @concert/testing do not pull in Nest.
  // eslint-disable-next-line @nx/enforce-module-boundaries
  const { EmbeddedAppModule } = await import('../../../apps/embedded/src/embedded-app.module');
  // eslint-disable-next-line @nx/enforce-module-boundaries
  const { createHttpApp } = await import('@concert/gateway');
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'concert-test-'));
  // Specs drive many clients from one loopback address and one token at a time: rate limits are off
  // unless a spec sets them (the rate-limit specs do).
  const config = loadConfig({
    DATA_DIR: dataDir,
    PORT: '0',
    HOST: '127.0.0.1',
    RATE_LIMIT_RPS_PER_IP: '0',
    RATE_LIMIT_RPS_PER_TOKEN: '0',
    ...options.env,
  });
  const app = await createHttpApp(EmbeddedAppModule.forRoot({ config, clock: options.clock, store: options.store }), {
    logger: ['error'],
  });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    config,
    dataDir,
    async close({ keepData = false } = {}) {
      await app.close();
      if (!keepData && !options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
