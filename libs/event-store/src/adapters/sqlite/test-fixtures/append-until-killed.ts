// Child process of sqlite-durability.spec.ts: appends in a tight loop from several concurrent
// writers (so group commit batches them) and prints each event id only once its append resolved.
import { randomUUID } from 'node:crypto';
import { NewEvent } from '@concert/contracts';
import { SqliteEventStore } from '../sqlite-event-store';

const file = process.argv[2];
const writers = Number(process.argv[3] ?? 8);
if (!file) {
  process.stderr.write('usage: append-until-killed.ts <events.db> [writers]\n');
  process.exit(2);
}

const store = new SqliteEventStore(file);

function event(writer: number, n: number): NewEvent {
  const id = randomUUID();
  return {
    id,
    type: 'Appended',
    version: 1,
    data: { writer, n, padding: 'x'.repeat(200) },
    metadata: { occurredAt: new Date().toISOString(), correlationId: id, causationId: id },
  };
}

async function writer(w: number): Promise<never> {
  const streamId = `durability-${w}`;
  for (let n = 0; ; n++) {
    const batch = n % 5 === 0 ? [event(w, n), event(w, n)] : [event(w, n)];
    await store.append(streamId, batch, n === 0 ? 'no_stream' : 'any');
    process.stdout.write(batch.map((e) => `${e.id}\n`).join(''));
  }
}

process.stdout.write('ready\n');
for (let w = 0; w < writers; w++) void writer(w);
