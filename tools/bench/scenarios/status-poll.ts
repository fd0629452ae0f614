import { BenchContext } from '../harness/context';
import { formatStatuses, load, withRotatingToken } from '../harness/load';
import { Row } from '../harness/report';
import { ServerProcess } from '../harness/server';
import { efficiency, measureSteady } from '../harness/steady';

/** GET /queue/status with the tokens the token-issue row created, round robin. */
export async function runStatusPoll(ctx: BenchContext, server: ServerProcess, tokens: string[]): Promise<Row> {
  const requests = [withRotatingToken({ method: 'GET', path: '/queue/status' }, tokens)];
  await load({ url: server.url, connections: ctx.connections, durationS: ctx.warmupS, requests });
  const m = await measureSteady(ctx, server, 'status-poll', () =>
    load({ url: server.url, connections: ctx.connections, durationS: ctx.durationS, requests }),
  );
  const { result: r, rssMiB } = m;
  return {
    scenario: 'status poll',
    throughput: r.rps,
    unit: 'req/s',
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    comparable: true,
    rssMiB,
    ceilingRps: m.ceiling?.rps,
    target: '≥ 50 % of ceiling',
    minRatio: 0.5,
    checks: [{ ok: (r.statuses['200'] ?? 0) === r.total && r.errors === 0, what: `every poll answered 200 (${formatStatuses(r.statuses)})` }],
    notes: [efficiency(m), `${tokens.length} distinct tokens in rotation`],
  };
}
