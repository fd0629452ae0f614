import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envelope, RequiredEventMissingError, SqliteEventStore } from '@concert/event-store';
import { ReadYourWritesStore } from './read-your-writes-store';

describe('ReadYourWritesStore: read-your-writes across instances sharing one store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'concert-ryw-'));
  const file = join(dir, 'booking.db');
  // Two "instances" of one service on one SQLite file; B polls so rarely that only the fence can explain it seeing A's write.
  const a = new SqliteEventStore(file);
  const b = new ReadYourWritesStore(new SqliteEventStore(file, { pollIntervalMs: 60_000 }));

  afterAll(async () => {
    await a.close();
    await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fence() makes every read model of this instance fold what another instance appended', async () => {
    const seenByB: string[] = [];
    const subscription = b.subscribeAll(0, (e) => void seenByB.push(e.id), { streamPrefixes: ['booking-'] });
    await b.fence();
    const [held] = envelope([{ type: 'SeatHeld', data: { reservationId: 'r1' } }], new Date());
    await a.append('booking-seat-1:2030-01-01:1', [held], 'no_stream');
    expect(seenByB).toEqual([]);
    await b.fence();
    expect(seenByB).toEqual([held.id]);
    await subscription.close();
    // A closed subscription is no longer waited for.
    await a.append('booking-seat-1:2030-01-01:2', envelope([{ type: 'SeatHeld', data: {} }], new Date()), 'no_stream');
    await expect(b.fence()).resolves.toBeUndefined();
  });

  it('passes on the event an append must follow: refused while it is not stored, stored once it is', async () => {
    const [started] = envelope([{ type: 'PaymentStarted', data: {} }], new Date());
    const [debited] = envelope([{ type: 'WalletDebited', data: {} }], new Date());
    const after = { streamId: 'booking-payment-r9', eventId: started.id };
    await expect(b.append('wallet-u9', [debited], 'no_stream', { after })).rejects.toBeInstanceOf(RequiredEventMissingError);
    await a.append(after.streamId, [started], 'no_stream');
    await expect(b.append('wallet-u9', [debited], 'no_stream', { after })).resolves.toMatchObject({ nextRevision: 0 });
  });
});
