import { randomUUID } from 'node:crypto';
import { ApiClient, EmbeddedServer, startEmbedded } from '@concert/testing';
import { claimsOf, craftJwt } from './queue.e2e-helpers';

const UNAUTHORIZED = { statusCode: 401, message: 'Invalid or expired token', error: 'Unauthorized' };

jest.setTimeout(60_000);

describe('queue tokens over HTTP: what /queue/status refuses', () => {
  let server: EmbeddedServer;
  let api: ApiClient;
  let userId: string;
  let token: string;

  beforeAll(async () => {
    server = await startEmbedded({ env: { QUEUE_MAX_ACTIVE: '1' } });
    api = new ApiClient(server.url);
    await api.tokenFor(randomUUID());
    userId = randomUUID();
    token = (await api.tokenFor(userId)).token;
  });
  afterAll(() => server.close());

  const statusWith = (authorization: string | undefined) =>
    api.get('/queue/status', authorization === undefined ? {} : { authorization });

  it('reads a valid WAITING token', async () => {
    const res = await statusWith(`Bearer ${token}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ queuePosition: 1, estimatedWaitTime: expect.any(Number), status: 'WAITING' });
  });

  it('issues an HS256 JWT whose sub is the user and jti the token id', () => {
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8'));
    expect(header).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(claimsOf(token)).toMatchObject({ sub: userId, jti: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  const forged = (): [string, string | undefined][] => {
    const claims = claimsOf(token);
    const secret = server.config.jwtSecret;
    const [h, p, s] = token.split('.');
    return [
      ['no header', undefined],
      ['an empty header', ''],
      ['a scheme other than Bearer', `Basic ${token}`],
      ['a bare token without the scheme', token],
      ['two parts', `Bearer ${h}.${p}`],
      ['garbage', 'Bearer not.a.jwt!'],
      ['a tampered signature', `Bearer ${h}.${p}.${s.slice(0, -3)}${s.endsWith('AAA') ? 'BBB' : 'AAA'}`],
      [
        'claims swapped under the old signature',
        `Bearer ${h}.${craftJwt({}, { ...claims, sub: randomUUID() }, null).split('.')[1]}.${s}`,
      ],
      ['a token signed with another secret', `Bearer ${craftJwt({ alg: 'HS256', typ: 'JWT' }, claims, 'x'.repeat(48))}`],
      ['alg: none without a signature', `Bearer ${craftJwt({ alg: 'none', typ: 'JWT' }, claims, null)}`],
      ['alg: none with the real signature', `Bearer ${craftJwt({ alg: 'none', typ: 'JWT' }, claims, null)}${s}`],
      ['alg: HS512 signed with the secret', `Bearer ${craftJwt({ alg: 'HS512', typ: 'JWT' }, claims, secret)}`],
      ['alg: RS256 signed with the secret as an HMAC key', `Bearer ${craftJwt({ alg: 'RS256', typ: 'JWT' }, claims, secret)}`],
      [
        'a correctly signed token that has expired',
        `Bearer ${craftJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, exp: Math.floor(Date.now() / 1000) - 60 }, secret)}`,
      ],
      [
        'a correctly signed token nobody issued',
        `Bearer ${craftJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, jti: randomUUID() }, secret)}`,
      ],
      [
        'a real token id under another user',
        `Bearer ${craftJwt({ alg: 'HS256', typ: 'JWT' }, { ...claims, sub: randomUUID() }, secret)}`,
      ],
      ['claims that are not a JSON object', `Bearer ${craftJwt({ alg: 'HS256', typ: 'JWT' }, [claims] as never, secret)}`],
    ];
  };

  it('refuses every forged, malformed, expired or unknown token with 401', async () => {
    for (const [label, header] of forged()) {
      const res = await statusWith(header);
      expect({ label, status: res.status, body: res.body }).toEqual({ label, status: 401, body: UNAUTHORIZED });
    }
  });

  it('refuses the same tokens on a concert route with 401, and a waiting one with 403', async () => {
    for (const [label, header] of forged()) {
      const res = await api.get('/concerts/1/available-dates', header === undefined ? {} : { authorization: header });
      expect({ label, status: res.status }).toEqual({ label, status: 401 });
    }
    const waiting = await api.get('/concerts/1/available-dates', { authorization: `Bearer ${token}` });
    expect(waiting.status).toBe(403);
  });

  it('keeps the secret it generated in DATA_DIR', () => {
    const { readFileSync } = jest.requireActual<typeof import('node:fs')>('node:fs');
    const kept = readFileSync(`${server.dataDir}/jwt-secret`, 'utf8').trim();
    expect(kept).toBe(server.config.jwtSecret);
    expect(Buffer.byteLength(kept)).toBeGreaterThanOrEqual(32);
  });
});

describe('queue tokens with JWT_SECRET set', () => {
  it('signs with the configured secret', async () => {
    const secret = 's'.repeat(40);
    const server = await startEmbedded({ env: { JWT_SECRET: secret } });
    try {
      const api = new ApiClient(server.url);
      const { token } = await api.tokenFor(randomUUID());
      const resigned = craftJwt({ alg: 'HS256', typ: 'JWT' }, claimsOf(token), secret);
      expect(resigned).toBe(token);
    } finally {
      await server.close();
    }
  });
});
