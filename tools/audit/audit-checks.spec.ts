import { QUEUE_ADMISSION_STREAM, queueUserStream, walletStream } from '@concert/contracts';
import { envelope } from '@concert/event-store';
import { main } from './main';
import { runAudit } from './run-audit';
import { captureIo, Story, TestLog } from './spec-helpers';

const ALICE = '00000000-0000-4000-8000-00000000a11c';
const BOB = '00000000-0000-4000-8000-000000000b0b';
const CAROL = '00000000-0000-4000-8000-0000000ca201';

describe('audit checks on a store written behind the services back', () => {
  let log: TestLog;
  let story: Story;

  beforeEach(async () => {
    log = TestLog.create();
    story = new Story(log);
    await story.catalog();
  });
  afterEach(() => log.dispose());

  const audit = (extra: Parameters<typeof runAudit>[0] = {}) => runAudit({ dataDir: log.dataDir, maxActive: 100, ...extra });

  /** Runs the CLI with --json; returns the exit code and the parsed report. */
  async function cli(...args: string[]): Promise<{ code: number; report: any; stderr: string }> {
    const { io, out, err } = captureIo();
    const code = await main(['--data-dir', log.dataDir, '--json', '--quiet', ...args], io);
    return { code, report: out() ? JSON.parse(out()) : undefined, stderr: err() };
  }

  it('passes a history the services could have written, and exits 0', async () => {
    await story.purchase(ALICE, 1);
    await story.purchase(BOB, 2);
    const cancelled = await story.hold(CAROL, 3);
    await story.cancel(cancelled);
    const lapsed = await story.hold(CAROL, 4, 1_000);
    log.advance(2_000);
    await story.expireHold(lapsed);
    const again = await story.hold(BOB, 4);
    await story.cancel(again);

    const result = await audit();
    expect(result.violations).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.totals).toMatchObject({
      seatsSold: 2,
      charged: 200_000,
      debited: 160_000,
      refunded: 0,
      holds: 5,
      openHolds: 0,
    });
    expect(result.wallets.get(ALICE)).toEqual({ balance: 20_000, charged: 100_000, debited: 80_000, refunded: 0 });
    expect((await cli()).code).toBe(0);
  });

  it('names both sales when a seat is sold a second time', async () => {
    const first = await story.purchase(ALICE, 7);
    await story.charge(BOB, 100_000);
    const debit = await story.debit(BOB, 80_000, 'pay-second', 'res-second');
    const second = await story.sell({ ...first.hold, reservationId: 'res-second', userId: BOB }, 'pay-second');

    const { code, report } = await cli();
    expect(code).toBe(1);
    const sold = report.violations.find((v: any) => v.rule === 'seat-sold-twice');
    expect(sold).toMatchObject({ check: 'seats', streams: [first.hold.seatStream], eventIds: [first.sale.id, second.id] });
    expect(report.checks.find((c: any) => c.id === 'seats').ok).toBe(false);
    // The debit did end in a sale: the money check has nothing to say about it.
    expect(report.violations.some((v: any) => v.eventIds.includes(debit.id))).toBe(false);
  });

  it('names the debit that ended in neither a sale nor a refund', async () => {
    await story.purchase(ALICE, 1);
    const orphan = await story.debit(ALICE, 10_000, 'pay-orphan');
    log.advance(120_000);
    await story.purchase(BOB, 2);

    const { code, report } = await cli();
    expect(code).toBe(1);
    expect(report.violations).toEqual([
      expect.objectContaining({
        check: 'debits',
        rule: 'debit-unsettled',
        streams: [walletStream(ALICE)],
        eventIds: [orphan.id],
      }),
    ]);
    expect(report.violations[0].message).toContain('pay-orphan');
  });

  it('reports a debit still within the grace window as in flight, not as a violation', async () => {
    await story.purchase(ALICE, 1);
    const hold = await story.hold(BOB, 2);
    await story.charge(BOB, 100_000);
    const debit = await story.debit(BOB, hold.price, 'pay-now', hold.reservationId);
    log.advance(5_000);
    await story.charge(CAROL, 1_000);

    const result = await audit();
    expect(result.ok).toBe(true);
    expect(result.inFlight).toEqual([expect.objectContaining({ paymentId: 'pay-now', eventId: debit.id, userId: BOB })]);
    const strict = await audit({ inFlightGraceMs: 1_000 });
    expect(strict.violations.map((v) => v.rule)).toEqual(['debit-unsettled']);
  });

  it('flags a debit that was both sold and refunded', async () => {
    const bought = await story.purchase(ALICE, 1);
    const refund = await story.refund(ALICE, bought.paymentId, bought.hold.price);

    const result = await audit();
    const v = result.violations.find((x) => x.rule === 'debit-settled-twice')!;
    expect(v.eventIds).toEqual([bought.debit.id, bought.sale.id, refund.id]);
  });

  it('flags a second hold taken while the first is still live', async () => {
    const first = await story.hold(ALICE, 5);
    log.advance(1_000);
    const second = await story.hold(BOB, 5);

    const result = await audit();
    expect(result.violations).toEqual([
      expect.objectContaining({
        check: 'seats',
        rule: 'held-twice',
        streams: [first.seatStream],
        eventIds: [first.event.id, second.event.id],
      }),
    ]);
  });

  it('accepts a new hold on a seat whose previous hold is past its expiresAt', async () => {
    const first = await story.hold(ALICE, 5, 1_000);
    log.advance(1_500);
    const second = await story.hold(BOB, 5);
    await story.expireHold(first);
    await story.cancel(second);
    expect((await audit()).ok).toBe(true);
  });

  it('checks balanceAfter and never lets a balance go negative', async () => {
    await story.charge(ALICE, 50_000);
    const [lie] = await log.append(walletStream(ALICE), {
      type: 'WalletCharged',
      data: { userId: ALICE, chargeId: 'chg-lie', amount: 10_000, balanceAfter: 70_000, chargedAt: log.iso() },
    });
    await story.charge(BOB, 10_000);
    const overdraft = await story.debit(BOB, 30_000, 'pay-over');
    await story.refund(BOB, 'pay-over', 30_000);

    const result = await audit();
    const rules = result.violations.filter((v) => v.check === 'balances').map((v) => [v.rule, v.eventIds[0]]);
    expect(rules).toEqual([
      ['balance-after-mismatch', lie.id],
      ['negative-balance', overdraft.id],
    ]);
    // The ledger's own sum is the truth: the lie is not carried into the balance.
    expect(result.wallets.get(ALICE)!.balance).toBe(60_000);
  });

  it('flags a hold left open more than 60 s past its expiry while the log runs', async () => {
    const forgotten = await story.hold(ALICE, 9, 10_000);
    for (let i = 0; i < 10; i++) {
      log.advance(10_000);
      await story.charge(BOB, 1_000);
    }
    const result = await audit();
    expect(result.violations).toEqual([
      expect.objectContaining({
        check: 'holds',
        rule: 'hold-left-open',
        streams: [forgotten.seatStream],
        eventIds: [forgotten.event.id],
      }),
    ]);
  });

  it('gives a hold the slack again after a silence in the log (the system was down)', async () => {
    const held = await story.hold(ALICE, 9, 10_000);
    log.advance(10 * 60_000);
    await story.charge(BOB, 1_000);
    log.advance(500);
    await story.expireHold(held);
    expect((await audit()).ok).toBe(true);

    const other = await story.hold(ALICE, 10, 1_000);
    log.advance(30_000);
    await story.charge(BOB, 1_000);
    log.advance(35_000);
    await story.charge(BOB, 1_000);
    const late = await story.expireHold(other);
    const result = await audit();
    expect(result.violations).toHaveLength(1);
    expect(result.violations[0]).toMatchObject({ rule: 'hold-left-open', eventIds: [other.event.id, late.id] });
  });

  it('never counts more ACTIVE tokens than the cap, expiries (old v1 ones too) freeing slots', async () => {
    const a = await story.token(ALICE);
    await story.token(BOB);
    // TokenExpired v1 had no reason: the upcaster fills it in, and it still frees the slot.
    const [legacy] = envelope(
      [{ type: 'TokenExpired', data: { tokenId: a.tokenId, userId: ALICE, expiredAt: log.iso() } }],
      log.now,
    );
    legacy.version = 1;
    await log.appendRaw(queueUserStream(ALICE), [legacy]);
    await story.token(CAROL);
    const ok = await audit({ maxActive: 2 });
    expect(ok.violations).toEqual([]);
    expect(ok.totals).toMatchObject({ upcastEvents: 1, peakActiveTokens: 2, activeTokens: 2, tokensActivated: 3 });

    // A token that lost its place (idle) before its activation was recorded takes no slot.
    const idler = '00000000-0000-4000-8000-0000000001d1';
    const idle = await story.issue(idler);
    await story.expireToken(idler, idle, 'IDLE');
    await story.activate(idler, idle);
    expect((await audit({ maxActive: 2 })).ok).toBe(true);

    const dave = await story.token('00000000-0000-4000-8000-00000000da7e');
    const { code, report } = await cli('--max-active', '2');
    expect(code).toBe(1);
    expect(report.violations).toEqual([
      expect.objectContaining({
        check: 'tokens',
        rule: 'too-many-active',
        streams: [QUEUE_ADMISSION_STREAM],
        eventIds: [dave.activated.id],
      }),
    ]);
  });
});
