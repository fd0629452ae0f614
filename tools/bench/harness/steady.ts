import { BenchContext } from './context';
import { LoadResult } from './load';
import { Measured, ServerProcess } from './server';

/** The bare-Fastify ceiling, kept running for the whole run so each row can be paired with a fresh sample. */
export interface CeilingProbe {
  sample(): Promise<CeilingSample>;
  /** The bare server under a burst of the given shape: a fixed number of requests over fresh connections. */
  race(connections: number, amount: number): Promise<LoadResult>;
}

export interface CeilingSample {
  rps: number;
  cpuUsPerRequest: number;
}

export interface SteadyMeasurement extends Measured<LoadResult> {
  ceiling?: CeilingSample;
  /** CPU the load generator (this process) used during the window. */
  generatorCpuMs: number;
}

/**
 * Measures one steady-state row between two fresh ceiling samples and keeps the higher one: on a
 * shared machine the ratio of back-to-back runs means more than either number alone, and taking
 * the better ceiling means a dip in the machine's capacity never flatters the row.
 */
export async function measureSteady(
  ctx: BenchContext,
  server: ServerProcess,
  label: string,
  run: () => Promise<LoadResult>,
): Promise<SteadyMeasurement> {
  const ceilingBefore = await ctx.ceiling?.sample();
  const before = process.cpuUsage();
  const measured = await server.measure(label, run);
  const used = process.cpuUsage(before);
  const ceilingAfter = await ctx.ceiling?.sample();
  const ceiling = ceilingBefore && ceilingAfter && ceilingAfter.rps > ceilingBefore.rps ? ceilingAfter : ceilingBefore;
  return { ...measured, ceiling, generatorCpuMs: (used.user + used.system) / 1000 };
}

/** How hard the server worked: CPU per request and its share of a core, beside the ceiling's. */
export function efficiency(m: Measured<LoadResult> & Partial<SteadyMeasurement>): string {
  const perRequest = (m.cpuMs * 1000) / Math.max(1, m.result.total);
  const core = (m.cpuMs / Math.max(1, m.wallMs)) * 100;
  const generator =
    m.generatorCpuMs === undefined
      ? ''
      : `; load generator ${((m.generatorCpuMs / Math.max(1, m.wallMs)) * 100).toFixed(0)} % of a core`;
  const ceiling = m.ceiling
    ? `; paired ceiling ${Math.round(m.ceiling.rps).toLocaleString('en-US')} req/s at ${Math.round(m.ceiling.cpuUsPerRequest)} µs CPU/req`
    : '';
  return `server CPU ${Math.round(perRequest)} µs/req, ${core.toFixed(0)} % of a core (${mainThread(m, m.result.total)})${generator}${ceiling}`;
}

/**
 * The main thread's part of the server's CPU: per request (or purchase) and as a share of a core. A main
 * thread near 100 % is the bound: every request waits for its turn there.
 */
export function mainThread(m: { mainCpuMs: number; wallMs: number }, count: number, per = 'req'): string {
  const perItem = (m.mainCpuMs * 1000) / Math.max(1, count);
  const core = (m.mainCpuMs / Math.max(1, m.wallMs)) * 100;
  return `main thread ${Math.round(perItem)} µs/${per}, ${core.toFixed(0)} % of a core`;
}

/** The columns every steady row fills the same way from its measurement; the caller adds what the row is about. */
export function steadyColumns(m: SteadyMeasurement, rssMiB: number) {
  const r = m.result;
  return {
    throughput: r.rps,
    unit: 'req/s',
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    comparable: true,
    rssMiB,
    ceilingRps: m.ceiling?.rps,
  };
}
