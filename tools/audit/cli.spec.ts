import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from './main';
import { parseCli, UsageError } from './cli-options';
import { openKurrentReader } from './readers/open-reader';
import { captureIo, Story, TestLog } from './spec-helpers';

const ALICE = '00000000-0000-4000-8000-00000000a11c';
const BOB = '00000000-0000-4000-8000-000000000b0b';

async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const { io, out, err } = captureIo();
  const code = await main(argv, io);
  return { code, out: out(), err: err() };
}

describe('audit command line', () => {
  let log: TestLog;
  let story: Story;

  beforeAll(async () => {
    log = TestLog.create();
    story = new Story(log);
    await story.catalog();
    await story.purchase(ALICE, 1);
    const hold = await story.hold(BOB, 2);
    await story.cancel(hold);
  });
  afterAll(() => log.dispose());

  it('exits 2 on usage errors, saying what is wrong', async () => {
    for (const argv of [
      ['--bogus'],
      ['--from', 'x'],
      ['--from', '0'],
      ['--max-active', '-3'],
      ['positional'],
      ['--data-dir', '/x', '--eventstore', 'kurrentdb://localhost:2113'],
      ['--stream', 's', '--rebuild'],
    ]) {
      const { code, err } = await run(...argv);
      expect({ argv, code }).toEqual({ argv, code: 2 });
      expect(err).toMatch(/^audit: /);
    }
    expect(() => parseCli(['--grace', '1.5'])).toThrow(UsageError);
  });

  it('exits 2 when there is no store to read', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'concert-audit-none-'));
    try {
      const { code, err } = await run('--data-dir', empty);
      expect(code).toBe(2);
      expect(err).toContain(`No event store at ${join(empty, 'events.db')}`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('opens a KurrentDB store through the port for --eventstore (no server is contacted before the first read)', async () => {
    const reader = await openKurrentReader('kurrentdb://127.0.0.1:1?tls=false');
    expect(reader.source).toBe('kurrentdb://127.0.0.1:1?tls=false');
    await reader.close();
  });

  it('prints a readable summary and exits 0 when every check holds', async () => {
    const { code, out } = await run('--data-dir', log.dataDir, '--quiet');
    expect(code).toBe(0);
    expect(out).toContain('seats sold 1 for 80,000 won');
    expect(out).toContain('won charged 100,000, debited 80,000, refunded 0');
    expect(out).toMatch(/PASS {2}seats/);
    expect(out).toContain('Result: PASS');
  });

  it('writes progress to stderr as plain lines when it is not a terminal', async () => {
    const { code, err } = await run('--data-dir', log.dataDir);
    expect(code).toBe(0);
    expect(err).toMatch(/^audit: \d+ events, 100\.0% \(position \d+\/\d+\), [\d,]+ events\/s$/m);
  });

  it('replays from a position on with --from', async () => {
    const { code, out } = await run('--data-dir', log.dataDir, '--json', '--quiet', '--from', '5');
    expect(code).toBe(0);
    const report = JSON.parse(out);
    expect(report.partial).toBe(true);
    expect(report.totals.firstPosition).toBe(5);
  });

  it('prints one stream in order, as a table or as JSON', async () => {
    const stream = `wallet-account-${ALICE}`;
    const table = await run('--data-dir', log.dataDir, '--stream', stream);
    expect(table.code).toBe(0);
    const lines = table.out.trim().split('\n');
    expect(lines[0]).toBe(`Stream ${stream}: 2 events`);
    expect(lines[1]).toMatch(/^rev +position +occurredAt +type +id +data$/);
    expect(lines[2]).toMatch(/^0 .* WalletCharged v1 /);
    expect(lines[3]).toMatch(/^1 .* WalletDebited v1 .*"balanceAfter":20000/);

    const json = await run('--data-dir', log.dataDir, '--stream', stream, '--json');
    const parsed = JSON.parse(json.out);
    expect(parsed.events.map((e: any) => [e.revision, e.type])).toEqual([
      [0, 'WalletCharged'],
      [1, 'WalletDebited'],
    ]);
    expect(parsed.events[0].metadata.occurredAt).toEqual(expect.any(String));

    const missing = await run('--data-dir', log.dataDir, '--stream', 'no-such-stream');
    expect(missing.code).toBe(1);
    expect(missing.out).toContain('has no events');
  });

  it('rebuilds the read models the services use and summarises them', async () => {
    const { code, out } = await run('--data-dir', log.dataDir, '--rebuild', '--json', '--quiet');
    expect(code).toBe(0);
    const { summary, events } = JSON.parse(out);
    expect(events).toBeGreaterThan(0);
    expect(summary).toMatchObject({
      concerts: 1,
      dates: 1,
      reservations: 2,
      openHolds: 0,
      seatsSold: 1,
      payments: { Started: 0, Completed: 1, Failed: 0, Refunded: 0 },
      balances: { count: 1, total: 20_000 },
      tokens: { active: 0, waiting: 0 },
    });
    const text = await run('--data-dir', log.dataDir, '--rebuild', '--quiet');
    expect(text.out).toContain('concerts 1, dates 1');
  });

  it('prints usage with --help', async () => {
    const { code, out } = await run('--help');
    expect(code).toBe(0);
    expect(out).toContain('Usage: npm run audit -- [options]');
  });
});
