import { AUDITED_TYPES, AuditReport, Auditor, DEFAULT_HOLD_SLACK_MS, DEFAULT_IN_FLIGHT_GRACE_MS } from './auditor';
import { createProgress, Progress } from './progress';
import { EventReader } from './readers/event-reader';
import { openReader, ReaderChoice } from './readers/open-reader';
import { rate } from './rebuild/read-model-sink';
import { replay } from './replay';

export const DEFAULT_PAGE_SIZE = 5000;

export interface RunAuditOptions extends ReaderChoice {
  /** Read from this reader instead of opening one (then it is not closed here). */
  reader?: EventReader;
  /** Replay from this position on (inclusive); 1 or absent: the whole log. */
  from?: number;
  /** The cap on ACTIVE tokens; default QUEUE_MAX_ACTIVE or 100. */
  maxActive?: number;
  inFlightGraceMs?: number;
  holdSlackMs?: number;
  pageSize?: number;
  maxViolationsPerCheck?: number;
  /** Progress on stderr: a bar on a terminal, plain lines elsewhere. Off unless asked for. */
  progress?: boolean | ((from: number, head: number) => Progress);
}

export interface AuditResult extends AuditReport {
  source: string;
  maxActive: number;
  /** Replay and checks: wall time, and this process's CPU time (what a shared machine does not skew). */
  timing: { ms: number; eventsPerSecond: number; cpuMs: number; eventsPerCpuSecond: number };
}

export function defaultMaxActive(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.QUEUE_MAX_ACTIVE?.trim();
  return raw && /^\d+$/.test(raw) && Number(raw) > 0 ? Number(raw) : 100;
}

/** Replays the log once and checks every invariant; the benchmark's entry point. */
export async function runAudit(options: RunAuditOptions = {}): Promise<AuditResult> {
  const reader = options.reader ?? (await openReader(options));
  try {
    const from = Math.max(1, options.from ?? 1);
    const maxActive = options.maxActive ?? defaultMaxActive();
    const auditor = new Auditor({
      maxActive,
      inFlightGraceMs: options.inFlightGraceMs ?? DEFAULT_IN_FLIGHT_GRACE_MS,
      holdSlackMs: options.holdSlackMs ?? DEFAULT_HOLD_SLACK_MS,
      partial: from > 1,
      maxViolationsPerCheck: options.maxViolationsPerCheck,
    });
    const head = await reader.headPosition();
    const after = from - 1;
    const progress =
      typeof options.progress === 'function'
        ? options.progress(after, head)
        : options.progress
          ? createProgress(process.stderr, 'audit', after, head)
          : undefined;
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    const stats = await replay((a, l) => reader.readPage(a, l, AUDITED_TYPES), auditor, {
      after,
      until: head,
      pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE,
      progress,
    });
    const report = auditor.finish();
    const ms = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    return {
      ...report,
      source: reader.source,
      maxActive,
      timing: { ms, eventsPerSecond: rate(stats.events, ms), cpuMs, eventsPerCpuSecond: rate(stats.events, cpuMs) },
    };
  } finally {
    if (!options.reader) await reader.close();
  }
}
