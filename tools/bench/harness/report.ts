import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';

export interface Check {
  ok: boolean;
  what: string;
}

/** One line of the table. Ratios are filled in once the ceiling of the same run is known. */
export interface Row {
  scenario: string;
  throughput?: number;
  unit: string;
  p50Ms?: number;
  p99Ms?: number;
  /** Compare with the bare-Fastify ceiling (req/s rows only). */
  comparable: boolean;
  ratio?: number;
  /** The ceiling sampled right before this row; the run's first ceiling when absent. */
  ceilingRps?: number;
  rssMiB?: number;
  target: string;
  /** Minimum ratio to the ceiling for a PASS. */
  minRatio?: number;
  /** Every other condition a PASS needs (counts, durability, latency, memory). */
  checks: Check[];
  notes: string[];
}

export type Verdict = 'PASS' | 'MISS' | '—';

export function verdict(row: Row): Verdict {
  if (row.minRatio === undefined && row.checks.length === 0) return '—';
  const ratioOk = row.minRatio === undefined || (row.ratio !== undefined && row.ratio >= row.minRatio);
  return ratioOk && row.checks.every((c) => c.ok) ? 'PASS' : 'MISS';
}

export function applyCeiling(rows: Row[], ceilingRps: number): void {
  for (const row of rows) {
    const ceiling = row.ceilingRps ?? ceilingRps;
    if (row.comparable && row.throughput !== undefined && ceiling > 0) row.ratio = row.throughput / ceiling;
  }
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  node: string;
  kernel: string;
  loadAtStart: string;
}

export function describeMachine(): Machine {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? cpu;
  } catch {
    // not Linux: os.cpus() it is
  }
  return {
    cpu,
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    kernel: release(),
    loadAtStart: loadavg()
      .map((l) => l.toFixed(2))
      .join(' '),
  };
}

const fmt = (value: number | undefined, digits = 0): string =>
  value === undefined || Number.isNaN(value)
    ? '—'
    : value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function renderTable(rows: Row[]): string {
  const header = ['Scenario', 'Throughput', 'p50 ms', 'p99 ms', '× ceiling', 'Peak RSS MiB', 'Target', 'Result'];
  const lines = rows.map((r) => [
    r.scenario,
    r.throughput === undefined ? '—' : `${fmt(r.throughput)} ${r.unit}`,
    fmt(r.p50Ms, 1),
    fmt(r.p99Ms, 1),
    r.ratio === undefined ? '—' : `${(r.ratio * 100).toFixed(0)} %`,
    fmt(r.rssMiB),
    r.target,
    verdict(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(line)].join('\n');
}

export function renderNotes(rows: Row[]): string {
  return rows
    .filter((r) => r.notes.length || r.checks.length)
    .map((r) => {
      const items = [...r.checks.map((c) => `${c.ok ? 'ok' : 'FAILED'}: ${c.what}`), ...r.notes];
      return `- **${r.scenario}**: ${items.join('; ')}`;
    })
    .join('\n');
}

export interface RunInfo {
  machine: Machine;
  mode: 'full' | 'quick';
  command: string;
  startedAt: Date;
  elapsedS: number;
  loadAtEnd: string;
  settings: string[];
}

export function renderReport(rows: Row[], info: RunInfo): string {
  const m = info.machine;
  return [
    `Run: \`${info.command}\` (${info.mode}), ${info.startedAt.toISOString()}, ${info.elapsedS.toFixed(0)} s.`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, Node ${m.node}, Linux ${m.kernel}; ` +
      `load average ${m.loadAtStart} at start, ${info.loadAtEnd} at the end (the machine is shared: compare the ratios).`,
    '',
    renderTable(rows),
    '',
    ...info.settings.map((s) => `- ${s}`),
    '',
    'Details and checks:',
    '',
    renderNotes(rows),
  ].join('\n');
}

const BEGIN = '<!-- bench:begin (written by `npm run bench`; edit outside these markers) -->';
const END = '<!-- bench:end -->';

/** Replaces the generated section of BENCHMARKS.md, keeping the hand-written text around it. */
export function writeBenchmarks(file: string, report: string): void {
  const generated = `${BEGIN}\n${report}\n${END}`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '';
  const begin = current.indexOf(BEGIN);
  const end = current.indexOf(END);
  const next =
    begin >= 0 && end > begin
      ? current.slice(0, begin) + generated + current.slice(end + END.length)
      : `# Benchmarks\n\nThe embedded mode under load, from \`npm run bench\`.\n\n## Last full run\n\n${generated}\n`;
  writeFileSync(file, next);
}
