import { JwtCodec } from '@concert/platform';
import { ipKey, RateLimiter, routeKind, TokenBuckets } from './rate-limit';

const SECRET = 's'.repeat(32);

describe('TokenBuckets', () => {
  let t = 0;
  const clock = () => t;
  beforeEach(() => {
    t = 0;
  });

  it('lets a burst of `rate` through, then one per 1/rate seconds', () => {
    const buckets = new TokenBuckets(5, clock);
    for (let i = 0; i < 5; i++) {
      expect(buckets.available('a')).toBeGreaterThanOrEqual(1);
      buckets.take('a');
    }
    expect(buckets.available('a')).toBeLessThan(1);
    expect(buckets.waitSeconds('a')).toBeCloseTo(0.2);
    t += 200;
    expect(buckets.available('a')).toBeCloseTo(1);
    expect(buckets.waitSeconds('a')).toBe(0);
  });

  it('keeps keys apart', () => {
    const buckets = new TokenBuckets(1, clock);
    buckets.take('a');
    expect(buckets.waitSeconds('a')).toBeCloseTo(1);
    expect(buckets.waitSeconds('b')).toBe(0);
  });

  it('never banks more than its capacity, however long idle', () => {
    const buckets = new TokenBuckets(2, clock);
    buckets.take('a');
    t += 3_600_000;
    expect(buckets.available('a')).toBe(2);
  });

  it('sweep drops only the buckets that are full again: memory follows the keys active in the last second', () => {
    const buckets = new TokenBuckets(10, clock);
    for (let i = 0; i < 1000; i++) buckets.take(`k${i}`);
    expect(buckets.size).toBe(1000);
    t += 500;
    buckets.take('recent');
    t += 600;
    expect(buckets.sweep()).toBe(1000);
    expect(buckets.size).toBe(1);
    t += 1000;
    buckets.sweep();
    expect(buckets.size).toBe(0);
  });
});

describe('ipKey', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2::/64'],
    ['2001:db8:1:2::9', '2001:db8:1:2::/64'],
    ['2001:0db8:0001:0002:ffff::1', '2001:db8:1:2::/64'],
    ['::1', '0:0:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    [undefined, 'unknown'],
  ])('%s → %s', (address, key) => {
    expect(ipKey(address)).toBe(key);
  });
});

describe('routeKind', () => {
  it.each([
    ['POST', '/queue/token', 'token-issue'],
    ['POST', '/queue/token/', 'token-issue'],
    ['POST', '/queue/token?x=1', 'token-issue'],
    ['POST', '/reservations', 'write'],
    ['DELETE', '/reservations/abc', 'write'],
    ['POST', '/payments', 'write'],
    ['POST', '/users/u/charge', 'write'],
    ['GET', '/queue/status', 'read'],
    ['GET', '/concerts/1/available-seats?date=2026-01-01', 'read'],
    ['HEAD', '/queue/status', 'read'],
    ['OPTIONS', '/payments', 'read'],
  ])('%s %s is a %s', (method, url, kind) => {
    expect(routeKind(method, url)).toBe(kind);
  });
});

describe('RateLimiter', () => {
  let t = 0;
  const now = () => t;
  const jwt = new JwtCodec(SECRET);
  const token = (jti: string) => `Bearer ${jwt.sign({ sub: 'u', jti, iat: 1 })}`;
  const limiters: RateLimiter[] = [];
  const make = (perIp: number, perToken: number) => {
    const limiter = new RateLimiter({ perIp, perToken, jwtSecret: SECRET, now });
    limiters.push(limiter);
    return limiter;
  };
  beforeEach(() => {
    t = 0;
  });
  afterAll(() => limiters.forEach((l) => l.close()));

  it('0 and 0 is off', () => {
    const limiter = make(0, 0);
    expect(limiter.enabled).toBe(false);
    for (let i = 0; i < 1000; i++) expect(limiter.check('write', '1.1.1.1', token('a')).allowed).toBe(true);
  });

  it('per IP: token issue and writes share the budget; reads are free', () => {
    const limiter = make(3, 0);
    expect(limiter.check('token-issue', '1.1.1.1', undefined).allowed).toBe(true);
    expect(limiter.check('write', '1.1.1.1', undefined).allowed).toBe(true);
    expect(limiter.check('token-issue', '1.1.1.1', undefined).allowed).toBe(true);
    const refused = limiter.check('write', '1.1.1.1', undefined);
    expect(refused).toEqual({ allowed: false, retryAfterSeconds: 1, limit: 'ip' });
    for (let i = 0; i < 100; i++) expect(limiter.check('read', '1.1.1.1', undefined).allowed).toBe(true);
    expect(limiter.check('write', '2.2.2.2', undefined).allowed).toBe(true);
  });

  it('per token: writes only, keyed by the token id of a correctly signed token', () => {
    const limiter = make(0, 2);
    expect(limiter.check('write', '1.1.1.1', token('a')).allowed).toBe(true);
    expect(limiter.check('write', '2.2.2.2', token('a')).allowed).toBe(true);
    expect(limiter.check('write', '3.3.3.3', token('a'))).toMatchObject({ allowed: false, limit: 'token' });
    expect(limiter.check('write', '1.1.1.1', token('b')).allowed).toBe(true);
    expect(limiter.check('token-issue', '1.1.1.1', token('a')).allowed).toBe(true);
    // A forged token gets no bucket (the guard answers 401), so it cannot grow the map either.
    for (let i = 0; i < 50; i++) expect(limiter.check('write', '1.1.1.1', `Bearer x.y.${i}`).allowed).toBe(true);
    expect(limiter.perToken!.size).toBe(2);
    t += 1000;
    expect(limiter.check('write', '1.1.1.1', token('a')).allowed).toBe(true);
  });

  it('a request refused by one budget spends nothing from the other', () => {
    const limiter = make(1, 5);
    expect(limiter.check('write', '1.1.1.1', token('a')).allowed).toBe(true);
    expect(limiter.check('write', '1.1.1.1', token('a')).allowed).toBe(false);
    expect(limiter.perToken!.available('a')).toBeCloseTo(4);
  });

  it('Retry-After is the whole seconds until the emptier budget has a token', () => {
    const limiter = make(0, 1);
    limiter.check('write', 'x', token('slow'));
    t += 100;
    expect(limiter.check('write', 'x', token('slow')).retryAfterSeconds).toBe(1);
  });
});
