import autocannon from 'autocannon';

export interface LoadResult {
  /** Completed responses per second, whatever their status. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  durationS: number;
  /** Count per HTTP status, e.g. `{ 200: 51234 }`. */
  statuses: Record<string, number>;
  /** Socket errors and timeouts. */
  errors: number;
}

export interface LoadOptions {
  url: string;
  connections: number;
  /** Run for this long (s)… */
  durationS?: number;
  /** …or send exactly this many requests. */
  amount?: number;
  requests: autocannon.Request[];
}

/** One autocannon run from this process against a loopback server. */
export async function load(options: LoadOptions): Promise<LoadResult> {
  if (!new URL(options.url).hostname.match(/^(127\.0\.0\.1|localhost|::1)$/))
    throw new Error(`not a loopback target: ${options.url}`);
  // autocannon reports a run only at its next one-second tick: a run of `amount` requests is timed here,
  // from the start to its last response, or its throughput would be that of whole seconds.
  let lastResponse = 0;
  const requests = options.requests.map((r) => ({
    ...r,
    onResponse: (status: number, body: string, context: Record<string, unknown>) => {
      lastResponse = performance.now();
      r.onResponse?.(status, body, context);
    },
  }));
  const start = performance.now();
  const result = await autocannon({
    url: options.url,
    connections: options.connections,
    pipelining: 1,
    timeout: 30,
    ...(options.amount !== undefined ? { amount: options.amount } : { duration: options.durationS ?? 5 }),
    requests,
  });
  const durationS = options.amount !== undefined && lastResponse > start ? (lastResponse - start) / 1000 : result.duration;
  const statuses: Record<string, number> = {};
  for (const [code, { count }] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = count;
  return {
    rps: result.requests.total / durationS,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    durationS,
    statuses,
    errors: result.errors + result.timeouts,
  };
}

/** A request whose Authorization header cycles through `tokens`. */
export function withRotatingToken(request: autocannon.Request, tokens: string[]): autocannon.Request {
  let next = 0;
  return {
    ...request,
    setupRequest: (req) => ({
      ...req,
      headers: { ...req.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` },
    }),
  };
}

/**
 * `POST /reservations`: the i-th request sent (from 0) holds `hold(i).body` with `hold(i).token`; `onResponse`
 * sees each reply (autocannon's hook).
 */
export function holdRequest(
  hold: (i: number) => { token: string; body: object },
  onResponse?: (status: number, body: string) => void,
): autocannon.Request {
  let next = 0;
  return {
    method: 'POST',
    path: '/reservations',
    setupRequest: (req) => {
      const { token, body } = hold(next++);
      return {
        ...req,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      };
    },
    ...(onResponse ? { onResponse } : {}),
  };
}

export function formatStatuses(statuses: Record<string, number>): string {
  return Object.entries(statuses)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([code, n]) => `${n}×${code}`)
    .join(', ');
}
