import { Dispatcher, Pool } from 'undici';

const TIMEOUT_MS = 60_000;

export interface Reply<T = any> {
  status: number;
  body: T;
  ms: number;
}

/**
 * A keep-alive HTTP/1.1 client for per-user flows (each virtual user has its own token and body),
 * with at most `connections` sockets to one loopback origin. Built on undici's pool: the load
 * generator shares the machine's two cores with the server, and undici parses a reply for about
 * two thirds of the CPU `node:http` did (390–580 instead of 740–840 µs per purchase), which leaves that
 * much more of the two cores to the server under test.
 */
export class HttpDriver {
  private readonly pool: Pool;
  private readonly origin: string;

  constructor(baseUrl: string, connections: number) {
    const url = new URL(baseUrl);
    if (!['127.0.0.1', 'localhost'].includes(url.hostname)) throw new Error(`not a loopback target: ${baseUrl}`);
    this.origin = url.origin;
    this.pool = new Pool(url.origin, {
      connections,
      pipelining: 1,
      headersTimeout: TIMEOUT_MS,
      bodyTimeout: TIMEOUT_MS,
      keepAliveTimeout: TIMEOUT_MS,
    });
  }

  call<T = any>(
    method: string,
    path: string,
    options: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: boolean } = {},
  ): Promise<Reply<T>> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const headers: Record<string, string> = { ...options.headers };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (options.token) headers.authorization = `Bearer ${options.token}`;
    const started = process.hrtime.bigint();
    // The dispatcher's callbacks, not `request()`: no body stream per reply, the cheapest way undici offers.
    return new Promise((resolve, reject) => {
      let status = 0;
      const chunks: Buffer[] = [];
      this.pool.dispatch(
        { origin: this.origin, method: method as Dispatcher.HttpMethod, path, headers, body: payload },
        {
          onRequestStart: () => undefined,
          onResponseStart: (_controller, statusCode) => void (status = statusCode),
          onResponseData: (_controller, chunk) => void chunks.push(chunk),
          onResponseEnd: () => {
            const ms = Number(process.hrtime.bigint() - started) / 1e6;
            const text = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
            let body: unknown = text;
            // `raw`: the text as it came (a flow that needs one field of a long reply reads it without parsing it all).
            if (!options.raw) {
              try {
                body = text ? JSON.parse(text) : undefined;
              } catch {
                // not JSON: keep the text
              }
            }
            resolve({ status, body: body as T, ms });
          },
          onResponseError: (_controller, err) => reject(err),
        },
      );
    });
  }

  /** Closes the sockets once the requests in flight (none, at the end of a row) are answered. */
  close(): void {
    this.pool.close().catch(() => undefined);
  }
}

/**
 * Runs `task(0..count-1)` with at most `concurrency` in flight; stops starting new ones after
 * `deadlineMs` (wall clock). Returns how many were started.
 */
export async function forEachBounded(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
  deadlineMs = Number.POSITIVE_INFINITY,
): Promise<number> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count && Date.now() < deadlineMs) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return next;
}
