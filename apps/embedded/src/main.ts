import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { ConfigError, loadConfig } from '@concert/platform';
import { createHttpApp } from '@concert/gateway';
import { EmbeddedAppModule } from './embedded-app.module';

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
  const app = await createHttpApp(EmbeddedAppModule.forRoot({ config }));
  await app.listen(config.port, config.host);
  new Logger('Main').log(`concert booking (embedded) on http://${config.host}:${config.port}, data in ${config.dataDir}`);
}

void main();
