import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { BENCH_ADMIN_KEY } from './harness/api';
import { BenchContext } from './harness/context';
import { applyCeiling, describeMachine, renderReport, Row, verdict, writeBenchmarks } from './harness/report';
import { makeWorkDir, REPO_ROOT, spawnEmbedded } from './harness/server';
import { Ceiling, startCeiling } from './scenarios/ceiling';
import { verifyDurable } from './scenarios/durability';
import { runHold } from './scenarios/hold';
import { runOnSaleSpike } from './scenarios/on-sale-spike';
import { runPurchase } from './scenarios/purchase';
import { runReplay } from './scenarios/replay';
import { runSeatRead } from './scenarios/seat-read';
import { runStatusPoll } from './scenarios/status-poll';
import { runTokenIssue } from './scenarios/token-issue';

const USAGE = `npm run bench [-- options]
  --quick        short runs (1–2 minutes, 100k-event store); prints the table, writes nothing unless --write
  --write        write the table into BENCHMARKS.md (default for a full run)
  --no-write     do not touch BENCHMARKS.md
  --only=a,b     run only these scenarios: ceiling, core, spike, purchase, replay
  --profile      write a V8 CPU profile per server child (into <workdir>/profiles; the folder is kept)
  --keep         keep the temp folder (server data and logs)`;

const SCENARIOS = ['ceiling', 'core', 'spike', 'purchase', 'replay'] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Args {
  quick: boolean;
  write: boolean;
  profile: boolean;
  keep: boolean;
  only: Set<Scenario>;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, write: false, profile: false, keep: false, only: new Set(SCENARIOS) };
  let write: boolean | undefined;
  for (const arg of argv) {
    if (arg === '--quick') args.quick = true;
    else if (arg === '--write') write = true;
    else if (arg === '--no-write') write = false;
    else if (arg === '--profile') args.profile = true;
    else if (arg === '--keep') args.keep = true;
    else if (arg.startsWith('--only=')) {
      const names = arg.slice('--only='.length).split(',');
      const unknown = names.filter((n) => !(SCENARIOS as readonly string[]).includes(n));
      if (unknown.length) throw new Error(`unknown scenario(s): ${unknown.join(', ')}\n${USAGE}`);
      args.only = new Set(names as Scenario[]);
    } else if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${USAGE}\n`);
      process.exit(0);
    } else throw new Error(`unknown option ${arg}\n${USAGE}`);
  }
  args.write = write ?? (!args.quick && args.only.size === SCENARIOS.length);
  return args;
}

/**
 * Token issue, status poll, seat read and hold share one server (all admitted), then it is crashed
 * on purpose to check durability. A row that fails is reported as such and the next still runs.
 */
async function runCore(ctx: BenchContext): Promise<Row[]> {
  const server = await spawnEmbedded(ctx.workDir, {
    name: 'core',
    profileDir: ctx.profileDir,
    env: { QUEUE_MAX_ACTIVE: '1000000', ADMIN_API_KEY: BENCH_ADMIN_KEY },
  });
  const rows: Row[] = [];
  const attempt = async <T>(label: string, run: () => Promise<T>): Promise<T | undefined> => {
    ctx.log(label);
    try {
      return await run();
    } catch (err) {
      const errors = server
        .logTail()
        .split('\n')
        .filter((l) => /ERROR|Error/.test(l))
        .slice(-3);
      ctx.log(
        `${label} failed: ${err instanceof Error ? err.message : String(err)}${errors.length ? `\n  server log:\n  ${errors.join('\n  ')}` : ''}`,
      );
      rows.push(failedRow(label, err));
      return undefined;
    }
  };
  try {
    const issued = await attempt('token issue (new users)', () => runTokenIssue(ctx, server));
    if (!issued) return rows;
    rows.push(issued.row);
    const status = await attempt('status poll', () => runStatusPoll(ctx, server, issued.tokens));
    if (status) rows.push(status);
    const seats = await attempt('available-seats read', () => runSeatRead(ctx, server, issued.tokens));
    if (seats) rows.push(seats);
    const hold = await attempt('seat hold (distinct seats)', () => runHold(ctx, server, issued.tokens));
    if (hold) rows.push(hold.row);
    if (ctx.profileDir) await server.stop();
    ctx.log('durability (SIGKILL, then read the store)');
    const holdRow = hold?.row ?? failedRow('seat hold (distinct seats)', 'did not run');
    await verifyDurable(
      server,
      { tokens: issued.tokens, reservationIds: hold?.reservationIds ?? [] },
      { tokenRow: issued.row, holdRow },
    );
    return rows;
  } finally {
    await server.kill();
  }
}

function failedRow(scenario: string, err: unknown): Row {
  const message = (err instanceof Error ? err.message : String(err)).split('\n')[0].slice(0, 300);
  return { scenario, unit: '', comparable: false, target: 'runs', checks: [{ ok: false, what: `error: ${message}` }], notes: [] };
}

/** The commit measured, and whether the work tree had uncommitted changes. */
function codeVersion(): string {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { cwd: REPO_ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((line) => line && !line.endsWith('BENCHMARKS.md')).length;
    return dirty ? `${head} + ${dirty} uncommitted file(s)` : head;
  } catch {
    return 'unknown (not a git checkout)';
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const startedAt = new Date();
  const machine = describeMachine();
  const version = codeVersion();
  const workDir = makeWorkDir();
  const ctx: BenchContext = {
    quick: args.quick,
    workDir,
    profileDir: args.profile ? join(workDir, 'profiles') : undefined,
    connections: 100,
    durationS: args.quick ? 2 : 10,
    warmupS: args.quick ? 1 : 3,
    log: (m) => process.stderr.write(`[bench ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)} s] ${m}\n`),
  };
  ctx.log(`${args.quick ? 'quick' : 'full'} run in ${workDir}`);
  const rows: Row[] = [];
  let ceilingRps = 0;
  let ceiling: Ceiling | undefined;
  const group = async (name: Scenario, label: string, run: () => Promise<Row[]>): Promise<void> => {
    if (!args.only.has(name)) return;
    ctx.log(label);
    try {
      rows.push(...(await run()));
    } catch (err) {
      // One broken scenario (or a server that will not boot) should not hide the others' numbers.
      ctx.log(`${name} failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      rows.push(failedRow(label, err));
    }
  };
  try {
    await group('ceiling', 'ceiling (bare Fastify)', async () => {
      ceiling = await startCeiling(ctx);
      ceilingRps = ceiling.row.throughput ?? 0;
      ctx.ceiling = ceiling.probe;
      return [ceiling.row];
    });
    await group('core', 'token issue, status poll, seat read, hold', () => runCore(ctx));
    await group('spike', 'on-sale spike', async () => [await runOnSaleSpike(ctx)]);
    await group('purchase', 'full purchase', async () => [await runPurchase(ctx)]);
    await group('replay', `replay over ${ctx.quick ? '100k' : '1M'} events`, () => runReplay(ctx));
  } finally {
    await ceiling?.stop();
    if (!args.keep && !args.profile) rmSync(workDir, { recursive: true, force: true });
  }
  applyCeiling(rows, ceilingRps);
  const report = renderReport(rows, {
    machine,
    mode: args.quick ? 'quick' : 'full',
    command: `npm run bench${args.quick ? ' -- --quick' : ''}`,
    startedAt,
    elapsedS: (Date.now() - startedAt.getTime()) / 1000,
    loadAtEnd: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
    settings: [
      `code: ${version}`,
      `load: autocannon from the bench process on loopback, ${ctx.connections} connections, ${ctx.warmupS} s warm-up + ${ctx.durationS} s measured per steady row; per-user flows by a keep-alive HTTP/1.1 driver on node:net (tools/bench/harness/driver.ts)`,
      'servers: the real embedded app (`apps/embedded/src/main.ts`) as a child process per group, SQLite store with synchronous=FULL in a temp DATA_DIR',
      'peak RSS: VmHWM of the server child from /proc, reset (clear_refs) at the start of each row',
      '× ceiling: the row against the higher of two bare-Fastify samples taken right before and right after it (same connections, same duration); server CPU per request from /proc/<pid>/stat',
    ],
  });
  process.stdout.write(`\n${report}\n`);
  if (args.write) {
    writeBenchmarks(join(REPO_ROOT, 'BENCHMARKS.md'), report);
    ctx.log('wrote BENCHMARKS.md');
  }
  if (args.profile) ctx.log(`CPU profiles in ${ctx.profileDir}`);
  const missed = rows.filter((r) => verdict(r) === 'MISS').length;
  ctx.log(missed ? `${missed} target(s) missed` : 'all targets met');
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
