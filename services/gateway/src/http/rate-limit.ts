import { isIP } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { JwtCodec } from '@concert/platform';
import { errorBody } from './http-error';
import { bearer } from './token.guard';

/**
 * Token buckets keyed by a string: `rate` tokens per second, at most `capacity` banked (one second's
 * worth), one bucket per key (two numbers), so memory is O(1) per key. A bucket that has been idle
 * long enough to be full again is the same as no bucket: `sweep()` drops those, so the map holds
 * only the keys that sent something in the last second or so.
 */
export class TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  readonly capacity: number;

  constructor(
    readonly rate: number,
    private readonly now: () => number = () => performance.now(),
    capacity = rate,
  ) {
    if (!(rate > 0)) throw new Error('rate must be positive');
    this.capacity = Math.max(1, capacity);
  }

  /** Tokens in `key`'s bucket now (refilled since its last use). */
  available(key: string): number {
    const bucket = this.buckets.get(key);
    if (bucket === undefined) return this.capacity;
    return Math.min(this.capacity, bucket.tokens + ((this.now() - bucket.at) / 1000) * this.rate);
  }

  /** Seconds until `key` has one whole token (0 when it has one now). */
  waitSeconds(key: string): number {
    const missing = 1 - this.available(key);
    return missing <= 0 ? 0 : missing / this.rate;
  }

  /** Takes one token from `key`'s bucket; call only after `available(key) >= 1`. */
  take(key: string): void {
    const tokens = this.available(key) - 1;
    const bucket = this.buckets.get(key);
    if (bucket === undefined) this.buckets.set(key, { tokens, at: this.now() });
    else {
      bucket.tokens = tokens;
      bucket.at = this.now();
    }
  }

  /** Drops every bucket that has refilled completely; returns how many were dropped. */
  sweep(): number {
    const now = this.now();
    const fullAfterMs = (this.capacity / this.rate) * 1000;
    let dropped = 0;
    for (const [key, bucket] of this.buckets) {
      if (now - bucket.at >= fullAfterMs) {
        this.buckets.delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  get size(): number {
    return this.buckets.size;
  }
}

/**
 * The per-IP key of a socket address. IPv4-mapped IPv6 is folded to IPv4; other IPv6 addresses are
 * keyed by their /64, the block one subscriber usually holds, so hopping addresses inside it does
 * not buy more requests.
 */
export function ipKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (isIP(address) !== 6) return address;
  const [head, tail = ''] = address.split('%')[0].split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = address.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}

export interface RateLimitSettings {
  /** Requests per second per client IP on token issue and writes; 0 turns it off. */
  perIp: number;
  /** Requests per second per queue token on writes; 0 turns it off. */
  perToken: number;
  /** The HS256 secret: only a correctly signed token gets a bucket of its own. */
  jwtSecret: string;
  now?: () => number;
  sweepIntervalMs?: number;
}

export type RateLimitedRoute = 'token-issue' | 'write' | 'read';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Which budget a request spends: token issue, a write (any non-read method), or none (reads, polls). */
export function routeKind(method: string, url: string): RateLimitedRoute {
  if (!WRITE_METHODS.has(method)) return 'read';
  const path = url.split('?', 1)[0].replace(/\/+$/, '');
  return path === '/queue/token' ? 'token-issue' : 'write';
}

export interface RateLimitDecision {
  allowed: boolean;
  retryAfterSeconds: number;
  limit?: 'ip' | 'token';
}

/**
 * The gateway's rate limits. Per IP: token issue and writes (status polls and other reads are not
 * limited per IP: a whole venue or carrier can sit behind one address). Per token: writes, keyed by
 * the token id of a correctly signed token (a forged one is refused by the guard anyway, and cannot
 * make the limiter keep a bucket for it).
 */
export class RateLimiter {
  readonly perIp?: TokenBuckets;
  readonly perToken?: TokenBuckets;
  private readonly jwt: JwtCodec;
  private readonly timer?: NodeJS.Timeout;

  constructor(settings: RateLimitSettings) {
    if (settings.perIp > 0) this.perIp = new TokenBuckets(settings.perIp, settings.now);
    if (settings.perToken > 0) this.perToken = new TokenBuckets(settings.perToken, settings.now);
    this.jwt = new JwtCodec(settings.jwtSecret);
    if (this.enabled) {
      this.timer = setInterval(() => this.sweep(), settings.sweepIntervalMs ?? 10_000);
      this.timer.unref();
    }
  }

  get enabled(): boolean {
    return this.perIp !== undefined || this.perToken !== undefined;
  }

  /** Checks both budgets and spends from both only when both allow it. */
  check(kind: RateLimitedRoute, ip: string | undefined, authorization: string | string[] | undefined): RateLimitDecision {
    if (kind === 'read') return { allowed: true, retryAfterSeconds: 0 };
    const ipBucket = this.perIp ? ipKey(ip) : undefined;
    const tokenBucket = this.perToken && kind === 'write' ? this.tokenKey(authorization) : undefined;
    const ipWait = ipBucket !== undefined ? this.perIp!.waitSeconds(ipBucket) : 0;
    const tokenWait = tokenBucket !== undefined ? this.perToken!.waitSeconds(tokenBucket) : 0;
    if (ipWait > 0 || tokenWait > 0) {
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil(Math.max(ipWait, tokenWait))),
        limit: ipWait >= tokenWait ? 'ip' : 'token',
      };
    }
    if (ipBucket !== undefined) this.perIp!.take(ipBucket);
    if (tokenBucket !== undefined) this.perToken!.take(tokenBucket);
    return { allowed: true, retryAfterSeconds: 0 };
  }

  sweep(): void {
    this.perIp?.sweep();
    this.perToken?.sweep();
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
  }

  private tokenKey(authorization: string | string[] | undefined): string | undefined {
    const token = bearer(authorization);
    const claims = token ? this.jwt.verify(token) : null;
    return claims ? claims.jti : undefined;
  }
}

export const TOO_MANY_REQUESTS_MESSAGE = 'Too many requests: slow down and retry after the time in Retry-After';

/** Installs the limiter as the first `onRequest` hook: a refused request costs no parsing, no bus call. */
export function installRateLimit(fastify: FastifyInstance, limiter: RateLimiter): void {
  if (!limiter.enabled) return;
  fastify.addHook('onRequest', (request: FastifyRequest, reply: FastifyReply, done: (err?: Error) => void) => {
    const decision = limiter.check(
      routeKind(request.method, request.url),
      request.socket.remoteAddress,
      request.headers.authorization,
    );
    if (decision.allowed) return done();
    void reply
      .code(429)
      .header('retry-after', String(decision.retryAfterSeconds))
      .header('content-type', 'application/json; charset=utf-8')
      .send(errorBody(429, TOO_MANY_REQUESTS_MESSAGE));
  });
  fastify.addHook('onClose', (_instance, done) => {
    limiter.close();
    done();
  });
}
