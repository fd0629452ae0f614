import { StoredEvent, upcast } from '@concert/contracts';
import { CheckId } from './auditor';
import { fmt } from './progress';
import { EmbeddedRebuildSummary } from './rebuild/embedded-read-models';
import { RebuildResult } from './rebuild/read-model-sink';
import { AuditResult } from './run-audit';

const SHOWN_PER_CHECK = 20;

/** The audit for people: what was replayed, the totals, a verdict per check with the offenders. */
export function formatAudit(r: AuditResult): string {
  const t = r.totals;
  const lines: string[] = [];
  const window = t.events ? `positions ${fmt(t.firstPosition)}-${fmt(t.lastPosition)}` : 'no events';
  lines.push(`Audit of ${r.source}: ${window}${r.partial ? ' (partial: started mid-log)' : ''}`);
  if (t.logStart) lines.push(`  log time ${t.logStart} to ${t.logTime}`);
  lines.push(
    `  ${fmt(t.events)} events in ${fmt(t.streams)} streams, replayed in ${(r.timing.ms / 1000).toFixed(2)} s ` +
      `(${fmt(r.timing.eventsPerSecond)} events/s, ${fmt(r.timing.eventsPerCpuSecond)} per CPU-second); ` +
      `${fmt(t.upcastEvents)} upcast from older versions`,
  );
  lines.push(
    `  concerts ${fmt(t.concerts)}, schedules ${fmt(t.schedules)}, holds ${fmt(t.holds)} (${fmt(t.openHolds)} still open)`,
  );
  lines.push(`  seats sold ${fmt(t.seatsSold)} for ${fmt(t.salesAmount)} won`);
  lines.push(
    `  won charged ${fmt(t.charged)}, debited ${fmt(t.debited)}, refunded ${fmt(t.refunded)}; ` +
      `balances ${fmt(t.balanceTotal)} over ${fmt(t.wallets)} wallets`,
  );
  lines.push(
    `  debits ${fmt(t.debits)}: ${fmt(t.debitsSold)} ended in a sale, ${fmt(t.debitsRefunded)} in a refund, ${fmt(t.debitsInFlight)} in flight`,
  );
  lines.push(
    `  tokens issued ${fmt(t.tokensIssued)}, activated ${fmt(t.tokensActivated)}, ACTIVE at the end ${fmt(t.activeTokens)}, ` +
      `peak ${fmt(t.peakActiveTokens)} (cap ${fmt(r.maxActive)})`,
  );
  lines.push('', 'Checks');
  const width = Math.max(...r.checks.map((c) => c.id.length));
  for (const check of r.checks) {
    const count = check.ok ? '' : ` (${fmt(check.violations)} violation${check.violations === 1 ? '' : 's'})`;
    lines.push(`  ${check.ok ? 'PASS' : 'FAIL'}  ${check.id.padEnd(width)}  ${check.rule}${count}`);
    if (!check.ok) lines.push(...formatViolations(r, check.id));
  }
  if (r.inFlight.length) {
    lines.push('', `In flight (not violations): debits within the grace window of the log's last event`);
    for (const d of r.inFlight.slice(0, SHOWN_PER_CHECK)) {
      lines.push(
        `  payment ${d.paymentId}: ${fmt(d.amount)} won from user ${d.userId} at ${d.debitedAt} (${d.stream}, event ${d.eventId})`,
      );
    }
    if (r.inFlight.length > SHOWN_PER_CHECK)
      lines.push(`  ... and ${fmt(r.inFlight.length - SHOWN_PER_CHECK)} more (see --json)`);
  }
  const total = r.checks.reduce((n, c) => n + c.violations, 0);
  lines.push('', r.ok ? 'Result: PASS, every check holds' : `Result: FAIL, ${fmt(total)} violation${total === 1 ? '' : 's'}`);
  return `${lines.join('\n')}\n`;
}

function formatViolations(r: AuditResult, check: CheckId): string[] {
  const mine = r.violations.filter((v) => v.check === check);
  const lines: string[] = [];
  for (const v of mine.slice(0, SHOWN_PER_CHECK)) {
    lines.push(`        [${v.rule}] ${v.message}`);
    lines.push(`          streams: ${v.streams.join(', ')}`);
    lines.push(`          events:  ${v.eventIds.join(', ')} (found at position ${fmt(v.position)})`);
  }
  const verdict = r.checks.find((c) => c.id === check)!;
  if (verdict.violations > Math.min(mine.length, SHOWN_PER_CHECK)) {
    lines.push(`        ... and ${fmt(verdict.violations - Math.min(mine.length, SHOWN_PER_CHECK))} more (see --json)`);
  }
  return lines;
}

/** The audit for machines: everything but the per-user wallet map. */
export function auditJson(r: AuditResult): string {
  const { wallets: _wallets, ...rest } = r;
  return `${JSON.stringify(rest, null, 2)}\n`;
}

/** One stream in revision order: a table for people (data upcast to the current shape). */
export function formatStream(streamId: string, events: StoredEvent[]): string {
  if (events.length === 0) return `Stream ${streamId} has no events\n`;
  const rows = events.map((e) => {
    const current = upcast(e);
    const versions = current.data === e.data ? `v${e.version}` : `v${e.version}->current`;
    return [
      String(e.revision),
      String(e.position),
      e.metadata?.occurredAt ?? '',
      `${e.type} ${versions}`,
      e.id,
      JSON.stringify(current.data),
    ];
  });
  const header = ['rev', 'position', 'occurredAt', 'type', 'id', 'data'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (i === header.length - 1 ? 0 : r[i].length))));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return `Stream ${streamId}: ${events.length} event${events.length === 1 ? '' : 's'}\n${[line(header), ...rows.map(line)].join('\n')}\n`;
}

export function streamJson(streamId: string, events: StoredEvent[]): string {
  const out = events.map((e) => ({
    position: e.position,
    revision: e.revision,
    id: e.id,
    type: e.type,
    storedVersion: e.version,
    data: upcast(e).data,
    metadata: e.metadata,
  }));
  return `${JSON.stringify({ streamId, events: out }, null, 2)}\n`;
}

export function formatRebuild(r: RebuildResult<EmbeddedRebuildSummary>, source: string): string {
  const s = r.summary;
  return [
    `Rebuilt the ${r.sink} read models from ${source}: ${fmt(r.events)} events to position ${fmt(r.lastPosition)} ` +
      `in ${(r.timing.ms / 1000).toFixed(2)} s (${fmt(r.timing.eventsPerSecond)} events/s)`,
    `  concerts ${fmt(s.concerts)}, dates ${fmt(s.dates)}`,
    `  reservations ${fmt(s.reservations)}, open holds ${fmt(s.openHolds)} (${fmt(s.openHoldsPastExpiry)} past expiresAt), seats sold ${fmt(s.seatsSold)}`,
    `  payments: ${fmt(s.payments.Completed)} completed, ${fmt(s.payments.Failed)} failed, ` +
      `${fmt(s.payments.Refunded)} refunded, ${fmt(s.payments.Started)} in progress`,
    `  balances: ${fmt(s.balances.count)} wallets, ${fmt(s.balances.total)} won in total`,
    `  tokens: ${fmt(s.tokens.active)} active, ${fmt(s.tokens.waiting)} waiting`,
    '',
  ].join('\n');
}
