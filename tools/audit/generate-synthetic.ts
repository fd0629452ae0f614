import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SqliteEventStore } from '@concert/event-store';
import { EVENTS_FILE } from './readers/sqlite-reader';
import { writeSyntheticLog } from './synthetic';

/** Writes a synthetic, rule-abiding log for benchmarking the audit: `--data-dir DIR --events N`. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      'data-dir': { type: 'string' },
      events: { type: 'string', default: '200000' },
      seed: { type: 'string', default: '42' },
    },
  });
  const dataDir = values['data-dir'];
  if (!dataDir) throw new Error('usage: generate-synthetic --data-dir DIR [--events N] [--seed N]');
  const store = new SqliteEventStore(join(dataDir, EVENTS_FILE));
  const started = performance.now();
  const summary = await writeSyntheticLog(store, { events: Number(values.events), seed: Number(values.seed) });
  await store.close();
  const { balances, ...totals } = summary;
  process.stdout.write(
    `${JSON.stringify({ ...totals, users: balances.size, ms: Math.round(performance.now() - started) }, null, 2)}\n`,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
}
