import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { upcast } from '@concert/contracts';
import { SqliteEventStore } from '@concert/event-store';
import { issueTokens } from '../harness/api';
import { BenchContext } from '../harness/context';
import { HttpDriver } from '../harness/driver';
import { formatStatuses, load, withRotatingToken } from '../harness/load';
import { Row } from '../harness/report';
import { REPO_ROOT, spawnEmbedded } from '../harness/server';
import { generateStore } from '../fixtures/event-generator';
import { efficiency, measureSteady, steadyColumns } from '../harness/steady';

const FULL_EVENTS = 1_000_000;
const QUICK_EVENTS = 100_000;
const AUDIT_DIR = join(REPO_ROOT, 'tools', 'audit');

/**
 * A store of 1,000,000 realistic events, written straight into the SQLite store; then the
 * audit's replay of it (or, while tools/audit has no runAudit, a raw replay); then the real
 * server booted on it: boot time and resident memory with that history.
 */
export async function runReplay(ctx: BenchContext): Promise<Row[]> {
  const dataDir = join(ctx.workDir, 'replay-data');
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'events.db');
  const events = ctx.quick ? QUICK_EVENTS : FULL_EVENTS;
  const size = ctx.quick ? '100k' : '1M';
  const generated = await generateStore({ file, events, startMs: Date.now() - 400 * 86_400_000 });
  ctx.log(`generated ${generated.events} events in ${(generated.ms / 1000).toFixed(1)} s`);
  const genNote =
    `store: ${generated.events.toLocaleString('en-US')} events (${generated.users} users, ${generated.purchases} purchases, ` +
    `${generated.concerts} concerts) generated in ${(generated.ms / 1000).toFixed(1)} s`;

  const cpuBefore = process.cpuUsage();
  const replay = await replayWithAudit(file, dataDir).catch((err: Error) =>
    rawReplay(file, `the audit failed (${err.message}): `),
  );
  const cpu = process.cpuUsage(cpuBefore);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const replayRow: Row = {
    scenario: `${replay.label} of ${size} events`,
    throughput: generated.events / (replay.ms / 1000),
    unit: 'events/s',
    comparable: false,
    target: '≥ 100,000 events/s',
    checks: [
      {
        ok: generated.events / (replay.ms / 1000) >= 100_000,
        what: `${generated.events} events in ${(replay.ms / 1000).toFixed(2)} s`,
      },
      ...replay.checks,
    ],
    notes: [
      genNote,
      ...replay.notes,
      `CPU time ${cpuS.toFixed(2)} s: ${Math.round(generated.events / cpuS).toLocaleString('en-US')} events per CPU-second ` +
        `(the replay got ${((cpuS / (replay.ms / 1000)) * 100).toFixed(0)} % of a core on this shared machine)`,
    ],
  };
  return [replayRow, await bootOnStore(ctx, dataDir, generated.events, size)];
}

interface ReplayOutcome {
  label: string;
  ms: number;
  checks: Row['checks'];
  notes: string[];
}

type AuditFn = (options: Record<string, unknown>) => unknown;

/** The audit library, if tools/audit exports a runAudit-like function by now. */
async function findAudit(): Promise<{ fn: AuditFn; where: string } | undefined> {
  if (!existsSync(AUDIT_DIR)) return undefined;
  const candidates = readdirSync(AUDIT_DIR, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts') && !/(^|\/)main\.ts$|spec\.ts$|\.d\.ts$/.test(f))
    .sort((a, b) => Number(/index|audit/.test(b)) - Number(/index|audit/.test(a)));
  for (const candidate of candidates) {
    let mod: Record<string, unknown>;
    try {
      mod = await import(join(AUDIT_DIR, candidate));
    } catch {
      continue;
    }
    const name = ['runAudit', 'audit', 'replayAudit'].find((n) => typeof mod[n] === 'function');
    if (name) return { fn: mod[name] as AuditFn, where: `${relative(REPO_ROOT, join(AUDIT_DIR, candidate))}#${name}` };
  }
  return undefined;
}

async function replayWithAudit(file: string, dataDir: string): Promise<ReplayOutcome> {
  const audit = await findAudit();
  if (!audit) return rawReplay(file, 'tools/audit exports no runAudit yet: ');
  const store = new SqliteEventStore(file);
  try {
    const started = process.hrtime.bigint();
    const report = (await audit.fn({ store, dataDir, file })) as
      { ok?: unknown; timing?: { eventsPerSecond?: number } } | undefined;
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const ownRate = report?.timing?.eventsPerSecond;
    return {
      label: 'audit replay',
      ms,
      checks:
        typeof report?.ok === 'boolean'
          ? [{ ok: report.ok, what: `the audit finds the generated history ${report.ok ? 'clean' : 'NOT clean'}` }]
          : [],
      notes: [
        `ran ${audit.where}({ dataDir }) in this process; wall time includes opening the store`,
        ...(ownRate ? [`the audit's own timing: ${Math.round(ownRate).toLocaleString('en-US')} events/s`] : []),
        `audit says: ${summarize(report)}`,
      ],
    };
  } finally {
    await store.close();
  }
}

function summarize(report: unknown): string {
  if (report === null || typeof report !== 'object') return String(report);
  const r = report as { ok?: boolean; totals?: Record<string, unknown>; violations?: unknown[] };
  if (r.totals) {
    const pick = [
      'events',
      'streams',
      'upcastEvents',
      'seatsSold',
      'debits',
      'debitsRefunded',
      'tokensIssued',
      'peakActiveTokens',
    ];
    const parts = pick.filter((k) => r.totals![k] !== undefined).map((k) => `${k} ${String(r.totals![k])}`);
    return `ok=${r.ok}, ${parts.join(', ')}, ${r.violations?.length ?? 0} violations`;
  }
  const text = JSON.stringify(report);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

/**
 * The fallback: every row read in position order with better-sqlite3, its JSON parsed and
 * upcast, and folded into the two ledgers an auditor checks (each seat sold once; each wallet's
 * balance = charges − debits + refunds, matching every balanceAfter).
 */
function rawReplay(file: string, why: string): ReplayOutcome {
  const db = new Database(file, { readonly: true });
  try {
    const started = process.hrtime.bigint();
    const balances = new Map<string, number>();
    const soldSeats = new Set<string>();
    let doubleSales = 0;
    let balanceErrors = 0;
    let events = 0;
    const rows = db.prepare<[], { stream_id: string; type: string; version: number; data: string; metadata: string }>(
      'SELECT stream_id, type, version, data, metadata FROM events ORDER BY position',
    );
    for (const row of rows.iterate()) {
      events++;
      JSON.parse(row.metadata);
      const event = upcast<{ type: string; data: any }>({ type: row.type, version: row.version, data: JSON.parse(row.data) });
      switch (event.type) {
        case 'WalletCharged':
        case 'WalletRefunded':
        case 'WalletDebited': {
          const sign = event.type === 'WalletDebited' ? -1 : 1;
          const balance = (balances.get(event.data.userId) ?? 0) + sign * event.data.amount;
          if (balance !== event.data.balanceAfter || balance < 0) balanceErrors++;
          balances.set(event.data.userId, balance);
          break;
        }
        case 'SeatSold':
          if (soldSeats.has(row.stream_id)) doubleSales++;
          soldSeats.add(row.stream_id);
          break;
      }
    }
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    return {
      label: 'raw replay',
      ms,
      checks: [
        {
          ok: doubleSales === 0 && balanceErrors === 0,
          what: `${events} events folded: ${soldSeats.size} seats sold, ${doubleSales} sold twice, ${balanceErrors} balance mismatches`,
        },
      ],
      notes: [`${why}measured a raw replay instead (better-sqlite3 iterate, JSON.parse, upcast, seat and wallet ledgers)`],
    };
  } finally {
    db.close();
  }
}

/** Boots the embedded app on the big store (its read models fold it all), then serves a short load. */
async function bootOnStore(ctx: BenchContext, dataDir: string, events: number, size: string): Promise<Row> {
  const server = await spawnEmbedded(ctx.workDir, {
    name: 'replay-boot',
    dataDir,
    profileDir: ctx.profileDir,
    readyTimeoutMs: 10 * 60_000,
  });
  const bootRss = server.rss.peakMiB();
  const driver = new HttpDriver(server.url, 10);
  try {
    const users = await issueTokens(driver, 50, 10);
    const requests = [
      withRotatingToken(
        { method: 'GET', path: '/queue/status' },
        users.map((u) => u.token),
      ),
    ];
    const m = await measureSteady(ctx, server, 'after-boot', () =>
      load({ url: server.url, connections: ctx.connections, durationS: ctx.durationS, requests }),
    );
    const r = m.result;
    const rssMiB = server.rss.peakMiB();

    return {
      scenario: `server with ${size} events stored`,
      ...steadyColumns(m, rssMiB),
      target: 'RSS < 500 MB',
      checks: [{ ok: rssMiB * 1.048576 < 500, what: `peak RSS ${rssMiB.toFixed(0)} MiB (${(rssMiB * 1.048576).toFixed(0)} MB)` }],
      notes: [
        `boot (read models folded from ${events.toLocaleString('en-US')} events) took ${(server.bootMs / 1000).toFixed(1)} s, RSS ${bootRss.toFixed(0)} MiB when ready`,
        `then status polls for ${ctx.durationS} s (${formatStatuses(r.statuses)}): throughput/latency columns are those polls; ${efficiency(m)}`,
      ],
    };
  } finally {
    driver.close();
    await server.stop();
  }
}
