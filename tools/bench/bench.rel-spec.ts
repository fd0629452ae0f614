import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

const repoRoot = resolve(__dirname, '../..');

/** The rows `--quick` prints, in order. */
const ROWS = [
  'ceiling: bare Fastify GET /ping',
  'token issue (new users)',
  'status poll',
  'available-seats read',
  'seat hold (distinct seats)',
  'on-sale spike: 10,000 users, 50 seats',
  'full purchase, 100 concurrent buyers',
  'audit replay of 100k events',
  'server with 100k events stored',
];

/**
 * The checks that are targets, so depend on how fast this shared machine is right now: the payment's p99,
 * the replay's speed, the peak RSS. Every other check is about correctness under load and must hold.
 */
const TARGET_CHECKS = [/^payment p99 /, /^\d+ events in [\d.]+ s$/, /^peak RSS /];

function runQuickBench(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, ['-r', './tools/register.js', 'tools/bench/main.ts', '--quick', '--no-write'], {
      cwd: repoRoot,
      env: { ...process.env, BENCH_SERVER_FLAGS: '' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** The `- **row**: …` detail line of each row: its checks (`ok: …` or `FAILED: …`) and notes, split on `; `. */
function details(stdout: string): Map<string, string[]> {
  const rows = new Map<string, string[]>();
  for (const line of stdout.split('\n')) {
    const m = /^- \*\*(.+?)\*\*: (.*)$/.exec(line);
    if (m) rows.set(m[1], m[2].split('; '));
  }
  return rows;
}

describe('npm run bench -- --quick', () => {
  jest.setTimeout(540_000);

  it('runs from the repository, prints every row, and what must hold under load holds (durability, exactly 50 holds, one sale and one debit per purchase, a clean audit)', async () => {
    const run = await runQuickBench();
    expect({ code: run.code, stderr: run.code === 0 ? '' : run.stderr.slice(-3000) }).toEqual({ code: 0, stderr: '' });

    for (const row of ROWS)
      expect(run.stdout).toMatch(new RegExp(`^\\| ${row.replace(/[()]/g, '\\$&')} +\\|.*\\| (PASS|MISS|—) +\\|$`, 'm'));

    const checks = details(run.stdout);
    expect([...checks.keys()]).toEqual(ROWS);
    const failed = [...checks.entries()].flatMap(([row, items]) =>
      items
        .filter((item) => item.startsWith('FAILED: ') || item.startsWith('error: '))
        .map((item) => item.replace(/^FAILED: /, ''))
        .filter((what) => !TARGET_CHECKS.some((target) => target.test(what)))
        .map((what) => `${row}: ${what}`),
    );
    expect(failed).toEqual([]);

    const all = (row: string): string => (checks.get(row) ?? []).join('; ');
    expect(all('token issue (new users)')).toMatch(/ok: after SIGKILL, (\d+)\/\1 acknowledged tokens are in the store/);
    expect(all('seat hold (distinct seats)')).toMatch(/ok: after SIGKILL, (\d+)\/\1 acknowledged holds are in the store/);
    const spike = all('on-sale spike: 10,000 users, 50 seats');
    expect(spike).toMatch(/ok: warm-up race for \d{4}-\d{2}-\d{2}: 50×201, 9950×409, errors 0/);
    expect(spike).toMatch(/ok: 50 holds \(201\) and 9950 conflicts \(409\) of 10000/);
    expect(spike).toMatch(/ok: store: 50 SeatHeld events for \d{4}-\d{2}-\d{2}, on 50 distinct seats/);
    expect(all('full purchase, 100 concurrent buyers')).toMatch(
      /ok: store: (\d+) SeatSold on \1 distinct seats, \1 WalletDebited, 0 refunds for \1 purchases/,
    );
    expect(all('audit replay of 100k events')).toContain('ok: the audit finds the generated history clean');
  });
});
