import { mulberry32 } from '@concert/platform';

export interface Answer {
  /** 0 when the request got no HTTP answer (connection refused or reset, timeout). */
  status: number;
  body: any;
  text: string;
  headers: Headers | null;
  error?: string;
}

/** One request with a deadline; never throws: a transport failure is status 0. */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { token?: string; body?: unknown; raw?: string | Buffer; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...(options.token ? { authorization: `Bearer ${options.token}` } : {}) };
  let body: string | Buffer | undefined;
  if (options.raw !== undefined) body = options.raw;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  Object.assign(headers, options.headers);
  try {
    const res = await fetch(base + path, { method, headers, body, signal: AbortSignal.timeout(options.timeoutMs ?? 30_000) });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON
    }
    return { status: res.status, body: parsed, text, headers: res.headers };
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    return { status: 0, body: undefined, text: '', headers: null, error: e.cause?.code ?? e.name ?? e.message };
  }
}

/** True when `body` is exactly the seed's error shape {statusCode, message, error} for `status`. */
export function isSeedError(body: unknown, status: number): boolean {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return false;
  const b = body as Record<string, unknown>;
  const keys = Object.keys(b).sort().join(',');
  return (
    keys === 'error,message,statusCode' &&
    b.statusCode === status &&
    typeof b.message === 'string' &&
    b.message.length > 0 &&
    typeof b.error === 'string' &&
    b.error.length > 0
  );
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The `jti` of a queue token (no verification: for matching against the log). */
export function tokenId(token: string): string | undefined {
  try {
    return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8')).jti;
  } catch {
    return undefined;
  }
}

/** A tiny seeded PRNG (mulberry32), so a failing run can be replayed with its seed. */
export const prng = mulberry32;
