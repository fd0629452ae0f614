import { BenchContext } from '../harness/context';
import { load } from '../harness/load';
import { Row } from '../harness/report';
import { spawnCeiling } from '../harness/server';

/** A bare Fastify GET /ping in its own process: what this machine and this load generator can do. */
export async function runCeiling(ctx: BenchContext): Promise<Row> {
  const server = await spawnCeiling(ctx.workDir, { name: 'ceiling', profileDir: ctx.profileDir });
  try {
    const requests = [{ method: 'GET', path: '/ping' }];
    await load({ url: server.url, connections: ctx.connections, durationS: ctx.warmupS, requests });
    const { result: r, rssMiB } = await server.measure('ceiling', () =>
      load({ url: server.url, connections: ctx.connections, durationS: ctx.durationS, requests }),
    );
    return {
      scenario: 'ceiling: bare Fastify GET /ping',
      throughput: r.rps,
      unit: 'req/s',
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      comparable: true,
      rssMiB,
      target: 'reference',
      checks: [],
      notes: [`${r.total} requests, ${ctx.connections} connections, errors ${r.errors}`],
    };
  } finally {
    await server.stop();
  }
}
