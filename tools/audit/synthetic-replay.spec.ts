import { AUDIT_SPEC_EVENTS, writeSyntheticLog } from './synthetic';
import { runAudit } from './run-audit';
import { TestLog } from './spec-helpers';

describe('replay of a large synthetic log', () => {
  let log: TestLog;

  beforeAll(() => {
    log = TestLog.create();
  });
  afterAll(() => log.dispose());

  it(`processes ${AUDIT_SPEC_EVENTS.toLocaleString('en-US')} events and finds exactly what was written`, async () => {
    const written = await writeSyntheticLog(log.store, { events: AUDIT_SPEC_EVENTS, seed: 7 });
    expect(written.events).toBeGreaterThanOrEqual(AUDIT_SPEC_EVENTS);

    const result = await runAudit({ dataDir: log.dataDir, maxActive: 100 });
    // Performance is the benchmark's business; the rate is printed for the record only.
    process.stdout.write(
      `audit replayed ${result.totals.events} events in ${Math.round(result.timing.ms)} ms: ${result.timing.eventsPerSecond} events/s\n`,
    );

    expect(result.violations).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.totals).toMatchObject({
      events: written.events,
      streams: written.streams,
      seatsSold: written.seatsSold,
      charged: written.charged,
      debited: written.debited,
      refunded: written.refunded,
      wallets: written.balances.size,
      upcastEvents: written.upcastEvents,
      peakActiveTokens: written.peakActive,
      openHolds: 0,
      activeTokens: 0,
    });
    for (const [userId, balance] of written.balances) expect(result.wallets.get(userId)?.balance).toBe(balance);
  }, 600_000);
});
