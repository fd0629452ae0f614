import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventStoreContract } from '../../event-store.contract';
import { SqliteEventStore } from './sqlite-event-store';

function tempStore(): { store: SqliteEventStore; dir: string; cleanup: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'sqlite-store-'));
  const store = new SqliteEventStore(join(dir, 'events.db'));
  return {
    store,
    dir,
    async cleanup() {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

eventStoreContract('sqlite', async () => tempStore());

describe('sqlite: prefix-filtered subscriptions', () => {
  const event = (id: string) => ({
    id,
    type: 'Happened',
    version: 1,
    data: { id },
    metadata: { occurredAt: new Date(0).toISOString(), correlationId: id, causationId: id },
  });

  it('delivers only its prefix, at the edges of the range too, and catches up past other streams', async () => {
    const { store, cleanup } = tempStore();
    try {
      const seen: string[] = [];
      await store.append('queue-a', [event('e1')], 'no_stream');
      await store.append('queue.b', [event('e2')], 'no_stream');
      await store.append('queuf', [event('e3')], 'no_stream');
      await store.append('queue-', [event('e4')], 'no_stream');
      await store.append('booking-x', [event('e5')], 'no_stream');
      const sub = store.subscribeAll(0, (e) => void seen.push(e.id), { streamPrefixes: ['queue-'] });
      await sub.caughtUpTo(await store.headPosition());
      expect(seen).toEqual(['e1', 'e4']);
      const last = await store.append('wallet-y', [event('e6')], 'no_stream');
      await sub.caughtUpTo(last.position);
      await store.append('queue-c', [event('e7')], 'no_stream');
      await sub.caughtUpTo(await store.headPosition());
      expect(seen).toEqual(['e1', 'e4', 'e7']);
      await sub.close();
    } finally {
      await cleanup();
    }
  });
});
