import { BenchContext } from '../harness/context';
import { formatStatuses, load, withRotatingToken } from '../harness/load';
import { Row } from '../harness/report';
import { ServerProcess } from '../harness/server';
import { efficiency, measureSteady, steadyColumns } from '../harness/steady';

export interface SteadyRead {
  scenario: string;
  /** Name of the measurement (profiles, logs). */
  label: string;
  path: string;
  /** What one answer is, for the check line: "poll", "read". */
  noun: string;
  note: string;
}

/** A read-only GET under steady load with tokens in rotation: ≥ 50 % of the ceiling is the target. */
export async function runSteadyRead(ctx: BenchContext, server: ServerProcess, tokens: string[], read: SteadyRead): Promise<Row> {
  const requests = [withRotatingToken({ method: 'GET', path: read.path }, tokens)];
  await load({ url: server.url, connections: ctx.connections, durationS: ctx.warmupS, requests });
  const m = await measureSteady(ctx, server, read.label, () =>
    load({ url: server.url, connections: ctx.connections, durationS: ctx.durationS, requests }),
  );
  const { result: r, rssMiB } = m;
  return {
    scenario: read.scenario,
    ...steadyColumns(m, rssMiB),
    target: '≥ 50 % of ceiling',
    minRatio: 0.5,
    checks: [
      {
        ok: (r.statuses['200'] ?? 0) === r.total && r.errors === 0,
        what: `every ${read.noun} answered 200 (${formatStatuses(r.statuses)})`,
      },
    ],
    notes: [efficiency(m), read.note],
  };
}
