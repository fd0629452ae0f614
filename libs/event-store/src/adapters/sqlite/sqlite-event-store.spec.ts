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
