import { firstDemoDate } from '../harness/api';
import { BenchContext } from '../harness/context';
import { HttpDriver } from '../harness/driver';
import { formatStatuses, load, withRotatingToken } from '../harness/load';
import { Row } from '../harness/report';
import { ServerProcess } from '../harness/server';
import { efficiency, measureSteady } from '../harness/steady';

/** GET /concerts/1/available-seats for a demo date (50 seats), with ACTIVE tokens round robin. */
export async function runSeatRead(ctx: BenchContext, server: ServerProcess, tokens: string[]): Promise<Row> {
  const driver = new HttpDriver(server.url, 1);
  const date = await firstDemoDate(driver, tokens[0]).finally(() => driver.close());
  const requests = [withRotatingToken({ method: 'GET', path: `/concerts/1/available-seats?date=${date}` }, tokens)];
  await load({ url: server.url, connections: ctx.connections, durationS: ctx.warmupS, requests });
  const m = await measureSteady(ctx, server, 'seat-read', () =>
    load({ url: server.url, connections: ctx.connections, durationS: ctx.durationS, requests }),
  );
  const { result: r, rssMiB } = m;
  return {
    scenario: 'available-seats read',
    throughput: r.rps,
    unit: 'req/s',
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    comparable: true,
    rssMiB,
    ceilingRps: m.ceiling?.rps,
    target: '≥ 50 % of ceiling',
    minRatio: 0.5,
    checks: [{ ok: (r.statuses['200'] ?? 0) === r.total && r.errors === 0, what: `every read answered 200 (${formatStatuses(r.statuses)})` }],
    notes: [efficiency(m), `concert 1, ${date}, ${tokens.length} tokens in rotation (each read passes the ACTIVE-token guard)`],
  };
}
