import { randomUUID } from 'node:crypto';
import { EmbeddedServer, startEmbedded } from '@concert/testing';
import { countEvents, eventsAfter, headPosition } from './lib/events';
import { call, isSeedError, sleep } from './lib/http';
import { table, writeResults } from './lib/results';

jest.setTimeout(600_000);

interface Attack {
  family: string;
  name: string;
  method: string;
  path: string;
  raw?: string | Buffer;
  headers?: Record<string, string>;
  /** Statuses that are right for it; every one must be a 4xx in the seed shape. */
  expect: number[];
}

const JSON_TYPE = { 'content-type': 'application/json' };

describe('hostile input: each a clear 4xx in the seed shape, never a 5xx, nothing written', () => {
  let server: EmbeddedServer;

  beforeAll(async () => {
    server = await startEmbedded();
  });
  afterAll(() => server?.close());

  it('refuses every attack with a 4xx in the seed shape and appends no event', async () => {
    const url = server.url;
    const userId = randomUUID();
    const { token } = (await call(url, 'POST', '/queue/token', { body: { userId } })).body;
    const date: string = (await call(url, 'GET', '/concerts/1/available-dates', { token })).body.availableDates[0];
    const auth = { authorization: `Bearer ${token}` };
    const hold = (body: string) => ({ method: 'POST', path: '/reservations', raw: body, headers: { ...auth, ...JSON_TYPE } });
    const charge = (body: string) => ({
      method: 'POST',
      path: `/users/${userId}/charge`,
      raw: body,
      headers: { ...auth, ...JSON_TYPE },
    });
    const pay = (body: string) => ({ method: 'POST', path: '/payments', raw: body, headers: { ...auth, ...JSON_TYPE } });
    const get = (path: string) => ({ method: 'GET', path, headers: auth });
    const reservation = (id: string) => ({ method: 'GET', path: `/reservations/${id}`, headers: auth });
    const cancel = (id: string) => ({ method: 'DELETE', path: `/reservations/${id}`, headers: auth });
    const MiB = 1024 * 1024;

    const attacks: Attack[] = [
      // Bodies over the 1 MiB limit.
      { family: 'body size', name: '1 MiB + 1 byte', ...hold(`{"pad":"${'x'.repeat(MiB - 8)}"}`), expect: [413] },
      { family: 'body size', name: '5 MiB', ...charge(`{"amount":1,"pad":"${'x'.repeat(5 * MiB)}"}`), expect: [413] },
      { family: 'body size', name: '2 MiB of spaces', ...pay(' '.repeat(2 * MiB)), expect: [413] },
      {
        family: 'body size',
        name: '1 MiB token request',
        method: 'POST',
        path: '/queue/token',
        raw: `{"userId":"${'a'.repeat(MiB)}"}`,
        headers: JSON_TYPE,
        expect: [413],
      },
      // Wrong content types.
      ...(
        [
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
          'text/html',
          'application/octet-stream',
          'application/json-patch+json',
          'application/vnd.api+json',
          'application/json, text/plain',
          'image/png',
        ] as const
      ).map((type) => ({
        family: 'content type',
        name: type,
        method: 'POST',
        path: '/reservations',
        raw: `{"concertId":1,"date":"${date}","seatNumber":1}`,
        headers: { ...auth, 'content-type': type },
        expect: [415],
      })),
      {
        family: 'content type',
        name: 'none',
        method: 'POST',
        path: '/payments',
        raw: Buffer.from('{"reservationId":"x"}'),
        headers: auth,
        expect: [415],
      },
      {
        family: 'content type',
        name: 'gzip-encoded JSON',
        ...pay('{"reservationId":"x"}'),
        headers: { ...auth, ...JSON_TYPE, 'content-encoding': 'gzip' },
        expect: [415],
      },
      // Deep nesting.
      { family: 'nesting', name: '100 000 nested arrays', ...hold('['.repeat(100_000) + ']'.repeat(100_000)), expect: [400] },
      {
        family: 'nesting',
        name: '50 000 nested objects',
        ...charge('{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000)),
        expect: [400],
      },
      {
        family: 'nesting',
        name: '40 levels in a field',
        ...charge(`{"amount":${'['.repeat(40)}1${']'.repeat(40)}}`),
        expect: [400],
      },
      // Numbers past safe integers and other non-integers.
      ...[
        '9007199254740992',
        '9007199254740993',
        '1e21',
        '1e308',
        '1e400',
        '-1',
        '0',
        '-0',
        '1.5',
        '"100"',
        'true',
        'null',
        '[100]',
        '{"$gt":0}',
      ].flatMap((n) => [
        { family: 'numbers', name: `amount ${n}`, ...charge(`{"amount":${n}}`), expect: [400] },
        {
          family: 'numbers',
          name: `concertId ${n}`,
          ...hold(`{"concertId":${n},"date":"${date}","seatNumber":1}`),
          expect: [400],
        },
        {
          family: 'numbers',
          name: `seatNumber ${n}`,
          ...hold(`{"concertId":1,"date":"${date}","seatNumber":${n}}`),
          expect: [400],
        },
      ]),
      { family: 'numbers', name: 'amount 10000001 (over MAX_CHARGE_AMOUNT)', ...charge('{"amount":10000001}'), expect: [400] },
      {
        family: 'numbers',
        name: 'concertId 2^53 in the path',
        ...get('/concerts/9007199254740993/available-dates'),
        expect: [400],
      },
      {
        family: 'numbers',
        name: 'concertId 20 digits in the path',
        ...get('/concerts/99999999999999999999/available-dates'),
        expect: [400],
      },
      { family: 'numbers', name: 'concertId 1e3 in the path', ...get('/concerts/1e3/available-dates'), expect: [400] },
      { family: 'numbers', name: 'concertId -1 in the path', ...get('/concerts/-1/available-dates'), expect: [400] },
      { family: 'numbers', name: 'concertId 0x1 in the path', ...get('/concerts/0x1/available-dates'), expect: [400] },
      // Unicode and traversal in path ids.
      ...[
        ['..%2F..%2Fetc%2Fpasswd', [400]],
        ['%2e%2e%2f%2e%2e%2fetc%2fpasswd', [400]],
        ['..%5c..%5cwindows', [400]],
        ['%00', [400]],
        [`${randomUUID()}%00`, [400]],
        ['%E2%80%AE%F0%9F%98%80', [400]],
        ['%EF%BC%91', [400]],
        ['%C0%AE%C0%AE%C0%AF', [400]],
        ['%ZZ', [400]],
        ['%', [400]],
        ['a'.repeat(300), [400]],
        [encodeURIComponent('٠١٢٣٤٥٦٧-٠١٢٣-٤٥٦٧-٨٩٠١-٢٣٤٥٦٧٨٩٠١٢٣'), [400]],
        [encodeURIComponent('0b5d8a4e-2f1c-4d7a-9e6b-3c2a1f0e9d8c\u200b'), [400]],
        [encodeURIComponent('0b5d8a4e‐2f1c‐4d7a‐9e6b‐3c2a1f0e9d8c'), [400]],
      ].flatMap(([id, expect]) => [
        {
          family: 'path ids',
          name: `reservation ${String(id).slice(0, 40)}`,
          ...reservation(String(id)),
          expect: expect as number[],
        },
        { family: 'path ids', name: `cancel ${String(id).slice(0, 40)}`, ...cancel(String(id)), expect: expect as number[] },
        { family: 'path ids', name: `balance ${String(id).slice(0, 40)}`, ...get(`/users/${id}/balance`), expect: [400, 403] },
        {
          family: 'path ids',
          name: `concert ${String(id).slice(0, 40)}`,
          ...get(`/concerts/${id}/available-dates`),
          expect: [400],
        },
      ]),
      {
        family: 'path ids',
        name: 'date with traversal',
        ...get(`/concerts/1/available-seats?date=..%2F..%2F${date}`),
        expect: [400],
      },
      {
        family: 'path ids',
        name: 'date in full-width digits',
        ...get(`/concerts/1/available-seats?date=${encodeURIComponent('２０２６-１２-２４')}`),
        expect: [400],
      },
      {
        family: 'path ids',
        name: 'date as an array',
        ...get(`/concerts/1/available-seats?date=${date}&date=${date}`),
        expect: [400],
      },
      { family: 'path ids', name: 'date as an object', ...get('/concerts/1/available-seats?date[a]=1'), expect: [400] },
      { family: 'path ids', name: 'date 2026-02-30', ...get('/concerts/1/available-seats?date=2026-02-30'), expect: [400] },
      // Prototype-pollution keys.
      {
        family: 'prototype pollution',
        name: 'body __proto__',
        ...charge('{"amount":1,"__proto__":{"polluted":1}}'),
        expect: [400],
      },
      {
        family: 'prototype pollution',
        name: 'body nested __proto__',
        ...hold(`{"concertId":1,"date":"${date}","seatNumber":1,"x":{"__proto__":{"polluted":1}}}`),
        expect: [400],
      },
      {
        family: 'prototype pollution',
        name: 'body constructor.prototype',
        ...charge('{"amount":1,"constructor":{"prototype":{"polluted":1}}}'),
        expect: [400],
      },
      {
        family: 'prototype pollution',
        name: 'token request __proto__',
        method: 'POST',
        path: '/queue/token',
        raw: `{"userId":"${randomUUID()}","__proto__":{"polluted":1}}`,
        headers: JSON_TYPE,
        expect: [400],
      },
      {
        family: 'prototype pollution',
        name: 'body __proto__ via \\u escape',
        ...pay('{"\\u005f_proto__":{"polluted":1},"reservationId":"x"}'),
        expect: [400],
      },
      {
        family: 'prototype pollution',
        name: 'query __proto__[polluted]',
        ...get(`/concerts/1/available-seats?__proto__[polluted]=1&date=2026-02-30`),
        expect: [400],
      },
      {
        family: 'prototype pollution',
        name: 'query constructor[prototype][polluted]',
        ...get('/concerts/1/available-seats?constructor[prototype][polluted]=1&date=x'),
        expect: [400],
      },
      // Bodies of the wrong JSON type.
      ...['null', '[]', '"text"', '123', '[{"concertId":1}]'].map((raw) => ({
        family: 'body type',
        name: `body ${raw}`,
        ...hold(raw),
        expect: [400],
      })),
      { family: 'body type', name: 'empty JSON body', ...pay(''), expect: [400] },
      {
        family: 'body type',
        name: 'invalid UTF-8',
        ...pay(Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d]) as unknown as string),
        expect: [400],
      },
      { family: 'body type', name: 'lone surrogate in an id', ...pay('{"reservationId":"\\ud800"}'), expect: [400] },
      { family: 'body type', name: 'NUL in an id', ...pay('{"reservationId":"\\u0000"}'), expect: [400] },
      {
        family: 'body type',
        name: 'Idempotency-Key with a space',
        ...pay('{"reservationId":"x"}'),
        headers: { ...auth, ...JSON_TYPE, 'idempotency-key': 'a b' },
        expect: [400],
      },
      {
        family: 'body type',
        name: 'Idempotency-Key of 256 chars',
        ...pay('{"reservationId":"x"}'),
        headers: { ...auth, ...JSON_TYPE, 'idempotency-key': 'k'.repeat(256) },
        expect: [400],
      },
    ];

    // Let the token's own appends settle: from here on, nothing may be written.
    await sleep(1500);
    const before = countEvents(server.dataDir);
    const head = headPosition(server.dataDir);
    const byFamily = new Map<string, { sent: number; refused: number; statuses: Set<number> }>();
    const failures: string[] = [];
    for (const attack of attacks) {
      const res = await call(url, attack.method, attack.path, { raw: attack.raw, headers: attack.headers, timeoutMs: 60_000 });
      const family = byFamily.get(attack.family) ?? { sent: 0, refused: 0, statuses: new Set<number>() };
      byFamily.set(attack.family, family);
      family.sent++;
      family.statuses.add(res.status);
      const ok = attack.expect.includes(res.status) && isSeedError(res.body, res.status);
      if (ok) family.refused++;
      else
        failures.push(
          `${attack.family} / ${attack.name}: ${res.status} ${res.error ?? res.text.slice(0, 200)} (wanted ${attack.expect.join(' or ')})`,
        );
    }
    const after = countEvents(server.dataDir);
    // The in-process app shares this process: a polluted Object.prototype would show here.
    const polluted = ({} as Record<string, unknown>).polluted;

    const total = attacks.length;
    const refused = [...byFamily.values()].reduce((n, f) => n + f.refused, 0);
    writeResults('input', 'Hostile input', [
      `${total} requests: ${refused} refused with the expected 4xx in the seed shape, ${failures.length} not; ` +
        `5xx: ${[...byFamily.values()].filter((f) => [...f.statuses].some((s) => s >= 500 || s === 0)).length ? 'some' : 'none'}; ` +
        `events written: ${after - before}; Object.prototype polluted: ${polluted === undefined ? 'no' : 'YES'}.`,
      '',
      ...table(
        ['family', 'requests', 'refused as expected', 'statuses'],
        [...byFamily.entries()].map(([name, f]) => [name, f.sent, f.refused, [...f.statuses].sort().join(', ')]),
      ),
    ]);

    expect(failures).toEqual([]);
    expect({ written: eventsAfter(server.dataDir, head) }).toEqual({ written: [] });
    expect(polluted).toBeUndefined();
    // Still serving after all of it.
    expect((await call(url, 'GET', '/queue/status', { token })).status).toBe(200);
  });
});
