import { IsoClock } from './iso-time';
import { MinHeap } from '@concert/platform';
import { EventStoreReader } from './readers/event-store-reader';
import { InMemoryEventStore, envelope } from '@concert/event-store';
import { runAudit } from './run-audit';

describe('IsoClock', () => {
  it('reads service timestamps exactly like Date.parse', () => {
    const clock = new IsoClock();
    const samples = [
      '2026-03-01T10:00:00.000Z',
      '2026-03-01T10:00:59.999Z',
      '2026-03-01T10:01:00.001Z',
      '2025-12-31T23:59:59.500Z',
      '2026-03-01T10:00:00+09:00',
      '2026-03-01T10:00:00Z',
      'not a date',
      '2026-03-01T10:00:6x.000Z',
    ];
    for (const s of samples) expect([s, clock.parse(s)]).toEqual([s, Date.parse(s)]);
  });
});

describe('MinHeap', () => {
  it('pops in key order', () => {
    const heap = new MinHeap<string>();
    const keys = [5, 3, 9, 1, 7, 3, 8, 2];
    keys.forEach((k) => heap.push(k, `k${k}`));
    const out: string[] = [];
    while (heap.size) out.push(heap.pop()!);
    expect(out).toEqual([...keys].sort((a, b) => a - b).map((k) => `k${k}`));
  });
});

describe('EventStoreReader: the seam for other stores', () => {
  it('audits any EventStore adapter through the port', async () => {
    const store = new InMemoryEventStore();
    const userId = '00000000-0000-4000-8000-00000000a11c';
    const at = new Date('2026-03-01T10:00:00Z');
    await store.append(
      `wallet-account-${userId}`,
      envelope(
        [
          {
            type: 'WalletCharged',
            data: { userId, chargeId: 'c1', amount: 5_000, balanceAfter: 5_000, chargedAt: at.toISOString() },
          },
        ],
        at,
      ),
      'no_stream',
    );
    await store.append(
      `wallet-account-${userId}`,
      envelope(
        [
          {
            type: 'WalletCharged',
            data: { userId, chargeId: 'c2', amount: 5_000, balanceAfter: 9_000, chargedAt: at.toISOString() },
          },
        ],
        at,
      ),
      0,
    );
    const result = await runAudit({ reader: new EventStoreReader(store, 'memory'), maxActive: 1, pageSize: 1 });
    expect(result.totals).toMatchObject({ events: 2, charged: 10_000, wallets: 1 });
    expect(result.violations.map((v) => v.rule)).toEqual(['balance-after-mismatch']);
    await store.close();
  });
});
