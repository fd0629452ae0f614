import { createHmac, randomUUID } from 'node:crypto';
import { EmbeddedServer, startEmbedded } from '@concert/testing';
import { countEvents, eventsAfter, headPosition } from './lib/events';
import { call, isSeedError, sleep } from './lib/http';
import { table, writeResults } from './lib/results';

jest.setTimeout(600_000);

const SECRET = 'reliability-auth-secret-0123456789abcdef';
const ADMIN_KEY = 'reliability-admin-key-0123';
const INVALID = { statusCode: 401, message: 'Invalid or expired token', error: 'Unauthorized' };
const NOT_ACTIVE = { statusCode: 403, message: 'Queue token is not active', error: 'Forbidden' };

const b64 = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');
const hmac = (alg: 'sha256' | 'sha512', key: string, input: string) => createHmac(alg, key).update(input).digest('base64url');
function jwt(header: object, claims: object, sign: (input: string) => string): string {
  const input = `${b64(header)}.${b64(claims)}`;
  return `${input}.${sign(input)}`;
}
const claimsOf = (token: string) => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));

interface Route {
  name: string;
  method: string;
  path: string;
  body?: unknown;
}

describe('auth under attack: forged, alg none, other algorithms, expired and other users’ tokens', () => {
  let server: EmbeddedServer;
  const counts = { attacks: 0, refused401: 0, crossUser: 0, crossRefused: 0, notActive: 0, admin: 0, head: 0 };

  beforeAll(async () => {
    server = await startEmbedded({ env: { JWT_SECRET: SECRET, ADMIN_API_KEY: ADMIN_KEY, QUEUE_MAX_ACTIVE: '2' } });
  });
  afterAll(async () => {
    await server?.close();
  });

  // Once a bug: a refused payment with a fresh Idempotency-Key still claimed the key, so anyone with an
  // ACTIVE token could grow the log by two events per request.
  it('a refused cross-user payment with an Idempotency-Key writes nothing', async () => {
    const own = await startEmbedded();
    try {
      const url = own.url;
      const a = randomUUID();
      const b = randomUUID();
      const ta = (await call(url, 'POST', '/queue/token', { body: { userId: a } })).body;
      const tb = (await call(url, 'POST', '/queue/token', { body: { userId: b } })).body;
      const date: string = (await call(url, 'GET', '/concerts/1/available-dates', { token: ta.token })).body.availableDates[1];
      const hold = await call(url, 'POST', '/reservations', { token: ta.token, body: { concertId: 1, date, seatNumber: 9 } });
      expect(hold.status).toBe(201);
      await sleep(1000);
      const head = headPosition(own.dataDir);
      const res = await call(url, 'POST', '/payments', {
        token: tb.token,
        body: { reservationId: hold.body.reservationId },
        headers: { 'idempotency-key': `k-${randomUUID()}` },
      });
      expect([403, 404]).toContain(res.status);
      expect(eventsAfter(own.dataDir, head)).toEqual([]);
    } finally {
      await own.close();
    }
  });

  it('refuses every bad token on every route, keeps users apart, and writes nothing for any of it', async () => {
    const url = server.url;
    const a = randomUUID();
    const b = randomUUID();
    const c = randomUUID();
    const ta = (await call(url, 'POST', '/queue/token', { body: { userId: a } })).body;
    const tb = (await call(url, 'POST', '/queue/token', { body: { userId: b } })).body;
    const tc = (await call(url, 'POST', '/queue/token', { body: { userId: c } })).body;
    expect([ta.status, tb.status, tc.status]).toEqual(['ACTIVE', 'ACTIVE', 'WAITING']);
    const dates = await call(url, 'GET', '/concerts/1/available-dates', { token: ta.token });
    const date: string = dates.body.availableDates[0];
    expect((await call(url, 'POST', `/users/${a}/charge`, { token: ta.token, body: { amount: 1_000_000 } })).status).toBe(200);
    const holdA = await call(url, 'POST', '/reservations', { token: ta.token, body: { concertId: 1, date, seatNumber: 1 } });
    const holdB = await call(url, 'POST', '/reservations', { token: tb.token, body: { concertId: 1, date, seatNumber: 2 } });
    expect([holdA.status, holdB.status]).toEqual([201, 201]);
    const resA: string = holdA.body.reservationId;
    const resB: string = holdB.body.reservationId;

    const routes = (user: string, reservationId: string): Route[] => [
      { name: 'GET /queue/status', method: 'GET', path: '/queue/status' },
      { name: 'GET available-dates', method: 'GET', path: '/concerts/1/available-dates' },
      { name: 'GET available-seats', method: 'GET', path: `/concerts/1/available-seats?date=${date}` },
      { name: 'POST /reservations', method: 'POST', path: '/reservations', body: { concertId: 1, date, seatNumber: 3 } },
      { name: 'GET /reservations/{id}', method: 'GET', path: `/reservations/${reservationId}` },
      { name: 'DELETE /reservations/{id}', method: 'DELETE', path: `/reservations/${reservationId}` },
      { name: 'GET balance', method: 'GET', path: `/users/${user}/balance` },
      { name: 'POST charge', method: 'POST', path: `/users/${user}/charge`, body: { amount: 1000 } },
      { name: 'POST /payments', method: 'POST', path: '/payments', body: { reservationId } },
    ];

    // Let the queue's own appends (admission) settle, then nothing below may write a single event.
    await sleep(1500);
    const before = countEvents(server.dataDir);
    const head = headPosition(server.dataDir);

    const real = claimsOf(ta.token);
    const now = Math.floor(Date.now() / 1000);
    const hs256 = { alg: 'HS256', typ: 'JWT' };
    const [h, p, s] = ta.token.split('.');
    const bad: [string, string | undefined][] = [
      ['no Authorization header', undefined],
      ['empty Bearer', 'Bearer '],
      ['Basic scheme', `Basic ${b64(`${a}:x`)}`],
      ['token without scheme', ta.token],
      ['garbage', 'Bearer not-a-jwt'],
      ['two segments', `Bearer ${h}.${p}`],
      ['four segments', `Bearer ${ta.token}.${s}`],
      [
        'signed with another secret',
        `Bearer ${jwt(hs256, real, (i) => hmac('sha256', 'another-secret-of-at-least-32-bytes!!', i))}`,
      ],
      ['alg none, no signature', `Bearer ${jwt({ alg: 'none', typ: 'JWT' }, real, () => '')}`],
      ['alg none, real signature kept', `Bearer ${b64({ alg: 'none', typ: 'JWT' })}.${p}.${s}`],
      ['alg NONE spelled upper', `Bearer ${jwt({ alg: 'NONE' }, real, () => '')}`],
      ['alg HS512 with the real secret', `Bearer ${jwt({ alg: 'HS512', typ: 'JWT' }, real, (i) => hmac('sha512', SECRET, i))}`],
      [
        'alg RS256 header, HMAC with the real secret',
        `Bearer ${jwt({ alg: 'RS256', typ: 'JWT' }, real, (i) => hmac('sha256', SECRET, i))}`,
      ],
      [
        'alg ES256 header, HMAC with the real secret',
        `Bearer ${jwt({ alg: 'ES256', typ: 'JWT' }, real, (i) => hmac('sha256', SECRET, i))}`,
      ],
      [
        'expired (exp in the past), correctly signed',
        `Bearer ${jwt(hs256, { ...real, exp: now - 60 }, (i) => hmac('sha256', SECRET, i))}`,
      ],
      ['exp not a number', `Bearer ${jwt(hs256, { ...real, exp: 'never' }, (i) => hmac('sha256', SECRET, i))}`],
      [
        'unknown token id, correctly signed',
        `Bearer ${jwt(hs256, { ...real, jti: randomUUID() }, (i) => hmac('sha256', SECRET, i))}`,
      ],
      ['another user’s sub on this token id', `Bearer ${jwt(hs256, { ...real, sub: b }, (i) => hmac('sha256', SECRET, i))}`],
      ['payload swapped, signature kept', `Bearer ${h}.${b64({ ...real, sub: b })}.${s}`],
      ['signature truncated', `Bearer ${h}.${p}.${s.slice(0, -2)}`],
      ['signature of another token', `Bearer ${h}.${p}.${tb.token.split('.')[2]}`],
      ['signature padded with =', `Bearer ${ta.token}=`],
      ['oversized token', `Bearer ${h}.${b64({ ...real, pad: 'x'.repeat(6000) })}.${s}`],
      ['no sub claim', `Bearer ${jwt(hs256, { jti: real.jti, iat: real.iat }, (i) => hmac('sha256', SECRET, i))}`],
    ];
    const rows: (string | number)[][] = [];
    for (const [variant, header] of bad) {
      let refused = 0;
      for (const route of routes(a, resA)) {
        const res = await call(url, route.method, route.path, {
          body: route.body,
          headers: header === undefined ? {} : { authorization: header },
        });
        counts.attacks++;
        const ok = res.status === 401 && JSON.stringify(res.body) === JSON.stringify(INVALID);
        expect({ variant, route: route.name, status: res.status, body: res.body }).toEqual({
          variant,
          route: route.name,
          status: 401,
          body: INVALID,
        });
        if (ok) refused++;
      }
      counts.refused401 += refused;
      rows.push([variant, `${refused}/${routes(a, resA).length}`]);
    }

    // HEAD on every protected GET route without a token: 401 too (no body to leak).
    for (const route of routes(a, resA).filter((r) => r.method === 'GET')) {
      const res = await call(url, 'HEAD', route.path);
      counts.head++;
      expect({ route: route.name, status: res.status }).toEqual({ route: route.name, status: 401 });
    }

    // B's valid token on A's balance, charges, reservation and payment: refused, and A is untouched.
    const cross: [string, string, string, unknown, number[]][] = [
      ['B reads A’s balance', 'GET', `/users/${a}/balance`, undefined, [403]],
      ['B charges A’s wallet', 'POST', `/users/${a}/charge`, { amount: 5000 }, [403]],
      ['B reads A’s reservation', 'GET', `/reservations/${resA}`, undefined, [403, 404]],
      ['B cancels A’s reservation', 'DELETE', `/reservations/${resA}`, undefined, [403, 404]],
      ['B pays A’s reservation', 'POST', '/payments', { reservationId: resA }, [403, 404]],
      ['A reads B’s reservation', 'GET', `/reservations/${resB}`, undefined, [403, 404]],
      ['A pays B’s reservation', 'POST', '/payments', { reservationId: resB }, [403, 404]],
      ['B reads A’s balance with an upper-case path', 'GET', `/users/${a.toUpperCase()}/balance`, undefined, [403]],
    ];
    const crossRows: (string | number)[][] = [];
    for (const [name, method, path, body, allowed] of cross) {
      const token = name.startsWith('A ') ? ta.token : tb.token;
      const res = await call(url, method, path, { token, body });
      counts.crossUser++;
      const ok = allowed.includes(res.status) && isSeedError(res.body, res.status);
      expect({ name, ok, status: res.status, body: res.body }).toEqual({ name, ok: true, status: res.status, body: res.body });
      if (ok) counts.crossRefused++;
      crossRows.push([name, res.status]);
    }
    expect((await call(url, 'GET', `/reservations/${resA}`, { token: ta.token })).body.status).toBe('TEMPORARILY_RESERVED');
    expect((await call(url, 'GET', `/users/${a}/balance`, { token: ta.token })).body.balance).toBe(1_000_000);
    expect((await call(url, 'GET', `/users/${b}/balance`, { token: tb.token })).body.balance).toBe(0);

    // C is WAITING: signed and known, but not admitted.
    for (const route of routes(c, resA).filter((r) => !['GET /queue/status', 'GET balance', 'POST charge'].includes(r.name))) {
      const res = await call(url, route.method, route.path, { token: tc.token, body: route.body });
      counts.notActive++;
      expect({ route: route.name, status: res.status, body: res.body }).toEqual({
        route: route.name,
        status: 403,
        body: NOT_ACTIVE,
      });
    }
    expect((await call(url, 'GET', `/users/${c}/balance`, { token: tc.token })).status).toBe(200);

    // Admin API: no key, a wrong key, a queue token instead of the key.
    const adminAttempts: Record<string, string>[] = [
      {},
      { 'x-admin-key': 'wrong-key-wrong-key' },
      { 'x-admin-key': `${ADMIN_KEY}x` },
      { authorization: `Bearer ${ta.token}` },
    ];
    for (const headers of adminAttempts) {
      const res = await call(url, 'POST', '/admin/concerts', { body: { concertId: 77, title: 'x' }, headers });
      counts.admin++;
      expect({ headers, status: res.status, shape: isSeedError(res.body, res.status) }).toEqual({
        headers,
        status: 401,
        shape: true,
      });
    }

    const afterAttacks = countEvents(server.dataDir);
    expect({ eventsWrittenByAttacks: eventsAfter(server.dataDir, head) }).toEqual({ eventsWrittenByAttacks: [] });

    // A pays: A's token is spent (EXPIRED); it still reads A's own wallet, and nothing else.
    const paid = await call(url, 'POST', '/payments', { token: ta.token, body: { reservationId: resA } });
    expect(paid.status).toBe(200);
    const status = await call(url, 'GET', '/queue/status', { token: ta.token });
    expect(status.body.status).toBe('EXPIRED');
    // A token spent by a payment may still hear that payment's answer again and read what it bought; nothing else.
    expect(await call(url, 'POST', '/payments', { token: ta.token, body: { reservationId: resA } })).toMatchObject({
      status: 200,
      body: paid.body,
    });
    expect((await call(url, 'GET', `/reservations/${resA}`, { token: ta.token })).body.status).toBe('CONFIRMED');
    const replayable = ['GET /reservations/{id}', 'POST /payments'];
    const expiredRoutes = routes(a, resA).filter(
      (r) => !['GET /queue/status', 'GET balance', 'POST charge', ...replayable].includes(r.name),
    );
    for (const route of expiredRoutes) {
      const res = await call(url, route.method, route.path, { token: ta.token, body: route.body });
      counts.notActive++;
      expect({ route: route.name, status: res.status, body: res.body }).toEqual({
        route: route.name,
        status: 403,
        body: NOT_ACTIVE,
      });
    }
    expect((await call(url, 'GET', `/users/${a}/balance`, { token: ta.token })).body.balance).toBe(1_000_000 - paid.body.amount);
    expect((await call(url, 'GET', `/users/${b}/balance`, { token: ta.token })).status).toBe(403);

    writeResults('auth', 'Auth under attack', [
      `${counts.attacks} requests with ${bad.length} kinds of bad token on ${routes(a, resA).length} routes: ` +
        `${counts.refused401} answered 401 \`Invalid or expired token\`; ${counts.head} HEAD requests without a token: all 401.`,
      `${counts.crossUser} cross-user requests (balances, charges, reservations, payments): ${counts.crossRefused} refused (403/404), ` +
        `balances and the reservation unchanged. ${counts.notActive} requests with WAITING or spent (EXPIRED) tokens on ` +
        `concert/reservation/payment routes: all 403 \`Queue token is not active\`. ${counts.admin} admin requests without the right key: all 401.`,
      `Events written by all of the above: ${afterAttacks - before}.`,
      '',
      ...table(['bad token', 'routes refused'], rows),
      '',
      ...table(['cross-user request', 'status'], crossRows),
    ]);
  });
});
