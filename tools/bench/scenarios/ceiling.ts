import { randomBytes, randomUUID } from 'node:crypto';
import { BenchContext } from '../harness/context';
import { load, withRotatingToken } from '../harness/load';
import { Row } from '../harness/report';
import { spawnCeiling, ServerProcess } from '../harness/server';
import { CeilingProbe, efficiency } from '../harness/steady';

export interface Ceiling {
  row: Row;
  probe: CeilingProbe;
  stop(): Promise<void>;
}

/**
 * A bare Fastify GET /ping in its own process: what this machine and this load generator can do.
 * It stays up for the run; every steady row samples it again just before its own window.
 */
export async function startCeiling(ctx: BenchContext): Promise<Ceiling> {
  const server = await spawnCeiling(ctx.workDir, { name: 'ceiling', profileDir: ctx.profileDir });
  try {
    // Same generator path as the rows: a per-request Authorization header of a real token's length.
    const requests = [withRotatingToken({ method: 'GET', path: '/ping' }, fakeTokens(1000))];
    const run = () => load({ url: server.url, connections: ctx.connections, durationS: ctx.durationS, requests });
    await load({ url: server.url, connections: ctx.connections, durationS: ctx.warmupS, requests });
    const first = await server.measure('ceiling', run);
    const samples = [first.result.rps];
    const row: Row = {
      scenario: 'ceiling: bare Fastify GET /ping',
      throughput: first.result.rps,
      unit: 'req/s',
      p50Ms: first.result.p50Ms,
      p99Ms: first.result.p99Ms,
      comparable: true,
      rssMiB: first.rssMiB,
      target: 'reference',
      checks: [],
      notes: [
        `${first.result.total} requests, ${ctx.connections} connections, errors ${first.result.errors}; ${efficiency(first)}`,
      ],
    };
    const probe: CeilingProbe = {
      async sample() {
        const m = await sampleOnce(server, run);
        samples.push(m.rps);
        return m;
      },
      race(connections, amount) {
        return load({ url: server.url, connections, amount, requests });
      },
    };
    return {
      row,
      probe,
      async stop() {
        if (samples.length > 1) {
          const min = Math.min(...samples);
          const max = Math.max(...samples);
          row.notes.push(
            `re-sampled before each row: ${Math.round(min).toLocaleString('en-US')}–${Math.round(max).toLocaleString('en-US')} req/s over the run (each ratio uses the higher of the samples around its row)`,
          );
        }
        await server.stop();
      },
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

async function sampleOnce(server: ServerProcess, run: () => ReturnType<typeof load>) {
  const m = await server.measure('ceiling-sample', run);
  return { rps: m.result.rps, cpuUsPerRequest: (m.cpuMs * 1000) / Math.max(1, m.result.total) };
}

/** Strings shaped like the queue's JWTs (three base64url parts, ~200 characters); the ceiling ignores them. */
function fakeTokens(count: number): string[] {
  return Array.from({ length: count }, (_, i) =>
    [
      Buffer.from('{"alg":"HS256","typ":"JWT"}'),
      Buffer.from(JSON.stringify({ sub: randomUUID(), jti: randomUUID(), iat: i })),
      randomBytes(32),
    ]
      .map((b) => b.toString('base64url'))
      .join('.'),
  );
}
