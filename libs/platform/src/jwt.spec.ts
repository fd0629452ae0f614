import { createHmac } from 'node:crypto';
import { JwtCodec, TokenClaims } from './jwt';

const SECRET = 'a-test-secret-that-is-long-enough-for-hs256';
const codec = new JwtCodec(SECRET);
const NOW = 1_800_000_000;
const claims: TokenClaims = { sub: '0b5d8a4e-2f1c-4d7a-9e6b-3c2a1f0e9d8c', jti: 'token-1', iat: NOW - 10 };

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const hs256 = (input: string, secret = SECRET) => createHmac('sha256', secret).update(input).digest('base64url');
/** A token with any header and payload, correctly HS256-signed with the codec's own secret. */
const forge = (header: unknown, payload: unknown, secret = SECRET) => {
  const signingInput = `${b64(header)}.${b64(payload)}`;
  return `${signingInput}.${hs256(signingInput, secret)}`;
};

describe('JwtCodec', () => {
  it('refuses an empty or short secret', () => {
    expect(() => new JwtCodec('')).toThrow(/32 bytes/);
    expect(() => new JwtCodec('x'.repeat(31))).toThrow(/32 bytes/);
    expect(() => new JwtCodec('x'.repeat(32))).not.toThrow();
  });

  it('round-trips its claims', () => {
    const token = codec.sign(claims);
    expect(token.split('.')).toHaveLength(3);
    expect(codec.verify(token, NOW)).toEqual(claims);
  });

  it('round-trips claims with an exp in the future', () => {
    const withExp = { ...claims, exp: NOW + 60 };
    expect(codec.verify(codec.sign(withExp), NOW)).toEqual(withExp);
  });

  it('a token one codec signed is trusted by another codec with the same secret only', () => {
    const token = new JwtCodec(SECRET).sign({ ...claims, jti: 'shared' });
    expect(new JwtCodec(SECRET).verify(token, NOW)).toMatchObject({ jti: 'shared' });
    expect(new JwtCodec(`${SECRET}-other`).verify(token, NOW)).toBeNull();
    const expiring = new JwtCodec(SECRET).sign({ ...claims, jti: 'soon', exp: NOW + 1 });
    expect(new JwtCodec(SECRET).verify(expiring, NOW)).toMatchObject({ jti: 'soon' });
    expect(new JwtCodec(SECRET).verify(expiring, NOW + 1)).toBeNull();
  });

  it('writes a standard HS256 JWT header', () => {
    const [header] = codec.sign(claims).split('.');
    expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ alg: 'HS256', typ: 'JWT' });
  });

  it('accepts a token signed elsewhere with the same secret and a header without typ', () => {
    expect(codec.verify(forge({ alg: 'HS256' }, claims), NOW)).toEqual(claims);
  });

  it('rejects a token signed with another secret', () => {
    expect(codec.verify(new JwtCodec(`${SECRET}-other`).sign(claims), NOW)).toBeNull();
    expect(codec.verify(forge({ alg: 'HS256', typ: 'JWT' }, claims, 'x'.repeat(43)), NOW)).toBeNull();
  });

  it('rejects a tampered payload or signature', () => {
    const [h, , s] = codec.sign(claims).split('.');
    expect(codec.verify(`${h}.${b64({ ...claims, sub: 'someone-else' })}.${s}`, NOW)).toBeNull();
    const flipped = s.slice(0, 10) + (s[10] === 'A' ? 'B' : 'A') + s.slice(11);
    expect(codec.verify(`${h}.${codec.sign(claims).split('.')[1]}.${flipped}`, NOW)).toBeNull();
  });

  it('rejects a signature spelled differently that decodes to the same bytes', () => {
    const token = codec.sign(claims);
    const [h, p, s] = token.split('.');
    // 32 bytes = 43 base64url characters: the last one carries 2 unused bits.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(s[s.length - 1]);
    const variant = `${s.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(Buffer.from(variant, 'base64url').equals(Buffer.from(s, 'base64url'))).toBe(true);
    expect(codec.verify(`${h}.${p}.${variant}`, NOW)).toBeNull();
    expect(codec.verify(`${h}.${p}.${s}=`, NOW)).toBeNull();
  });

  it('rejects alg none, signed or not', () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`;
    expect(codec.verify(unsigned, NOW)).toBeNull();
    expect(codec.verify(unsigned.slice(0, -1), NOW)).toBeNull();
    expect(codec.verify(forge({ alg: 'none', typ: 'JWT' }, claims), NOW)).toBeNull();
    expect(codec.verify(forge({ alg: 'None' }, claims), NOW)).toBeNull();
  });

  it.each(['RS256', 'HS512', 'ES256', 'hs256'])('rejects an %s header even with a valid HS256 mac over it', (alg) => {
    expect(codec.verify(forge({ alg, typ: 'JWT' }, claims), NOW)).toBeNull();
  });

  it('rejects a header whose typ is not JWT', () => {
    expect(codec.verify(forge({ alg: 'HS256', typ: 'JWE' }, claims), NOW)).toBeNull();
  });

  it('rejects an expired exp, including exactly now', () => {
    expect(codec.verify(codec.sign({ ...claims, exp: NOW - 1 }), NOW)).toBeNull();
    expect(codec.verify(codec.sign({ ...claims, exp: NOW }), NOW)).toBeNull();
    expect(codec.verify(codec.sign({ ...claims, exp: NOW + 1 }), NOW)).not.toBeNull();
  });

  it('uses the clock when no time is given', () => {
    const now = Math.floor(Date.now() / 1000);
    expect(codec.verify(codec.sign({ ...claims, exp: now - 5 }))).toBeNull();
    expect(codec.verify(codec.sign({ ...claims, exp: now + 300 }))).not.toBeNull();
  });

  it.each([
    ['sub missing', { jti: 'j', iat: NOW }],
    ['sub a number', { sub: 42, jti: 'j', iat: NOW }],
    ['jti missing', { sub: 's', iat: NOW }],
    ['iat a string', { sub: 's', jti: 'j', iat: 'yesterday' }],
    ['exp a string', { sub: 's', jti: 'j', iat: NOW, exp: String(NOW + 100) }],
    ['payload an array', [1, 2]],
    ['payload null', null],
  ])('rejects correctly signed claims with %s', (_, payload) => {
    expect(codec.verify(forge({ alg: 'HS256', typ: 'JWT' }, payload), NOW)).toBeNull();
  });

  it.each([
    ['empty', ''],
    ['one part', 'abc'],
    ['two parts', 'abc.def'],
    ['four parts', 'a.b.c.d'],
    ['empty parts', '..'],
    ['not base64url', 'ab$.cd.ef'],
    ['header not JSON', `${b64('not json')}.${b64(claims)}.x`],
    ['very long', `${'a'.repeat(5000)}.b.c`],
  ])('rejects a malformed token (%s)', (_, token) => {
    expect(codec.verify(token, NOW)).toBeNull();
  });

  it('rejects a correctly signed header that is not JSON', () => {
    const input = `${b64('garbage')}.${b64(claims)}`;
    expect(codec.verify(`${input}.${hs256(input)}`, NOW)).toBeNull();
  });

  it('returns only the known claims', () => {
    const token = forge({ alg: 'HS256', typ: 'JWT' }, { ...claims, admin: true });
    expect(codec.verify(token, NOW)).toEqual(claims);
  });
});

describe('JwtCodec verified-token cache', () => {
  const secret = 'a-test-secret-that-is-long-enough-for-hs256!';

  it('still refuses a cached token once its exp has passed', () => {
    const jwt = new JwtCodec(secret);
    const token = jwt.sign({ sub: 'u', jti: 't', iat: 1000, exp: 2000 });
    expect(jwt.verify(token, 1500)).toMatchObject({ sub: 'u', jti: 't' });
    expect(jwt.verify(token, 1500)).toMatchObject({ sub: 'u', jti: 't' });
    expect(jwt.verify(token, 2000)).toBeNull();
  });

  it('never caches a refusal into an acceptance, nor accepts a token signed with another key', () => {
    const jwt = new JwtCodec(secret);
    const other = new JwtCodec(`${secret}-other`).sign({ sub: 'u', jti: 't', iat: 1 });
    expect(jwt.verify(other)).toBeNull();
    expect(jwt.verify(other)).toBeNull();
  });

  /** Verifies `tokens` in turn `rounds` times; how many of those verifications computed an HMAC. */
  const macsWhilePolling = (codec: JwtCodec, tokens: string[], rounds: number): number => {
    const mac = jest.spyOn(codec as unknown as { mac: (input: string) => string }, 'mac');
    try {
      for (let r = 0; r < rounds; r++) for (const t of tokens) expect(codec.verify(t, NOW)).not.toBeNull();
      return mac.mock.calls.length;
    } finally {
      mac.mockRestore();
    }
  };

  it('a line a little longer than the cache, polled in turn, still finds most of its tokens', () => {
    let now = 0;
    const secret = `${SECRET}-cyclic`;
    const codec = new JwtCodec(secret, { cacheSize: 1_000, refreshAfterMs: 30_000, now: () => now });
    // Signed elsewhere (another key's cache is not this one's), so each token's first use here is a miss.
    const tokens = Array.from({ length: 1_040 }, (_, i) =>
      forge({ alg: 'HS256', typ: 'JWT' }, { ...claims, jti: `t${i}` }, secret),
    );
    macsWhilePolling(codec, tokens, 1);
    now += 1_000;
    // Emptied whenever full (as before), every poll of such a line missed: 3,120 HMACs for 3,120 polls.
    expect(macsWhilePolling(codec, tokens, 3)).toBeLessThanOrEqual(3 * 40);
  });

  it('starts over once it has been full for a while, so tokens that ended leave it', () => {
    let now = 0;
    const secret = `${SECRET}-refresh`;
    const codec = new JwtCodec(secret, { cacheSize: 100, refreshAfterMs: 30_000, now: () => now });
    const old = Array.from({ length: 100 }, (_, i) => codec.sign({ ...claims, jti: `old${i}` }));
    const fresh = forge({ alg: 'HS256', typ: 'JWT' }, { ...claims, jti: 'fresh' }, secret);
    // Full: the new token is checked each time, the ones it holds are not.
    expect(macsWhilePolling(codec, [fresh, fresh], 1)).toBe(2);
    expect(macsWhilePolling(codec, old, 1)).toBe(0);
    now += 30_000;
    expect(macsWhilePolling(codec, [fresh], 1)).toBe(1);
    expect(macsWhilePolling(codec, [fresh], 1)).toBe(0);
    expect(macsWhilePolling(codec, old.slice(0, 1), 1)).toBe(1);
  });
});
