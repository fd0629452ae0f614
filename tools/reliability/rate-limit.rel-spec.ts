import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_RATE_LIMIT_RPS_PER_IP, DEFAULT_RATE_LIMIT_RPS_PER_TOKEN } from '@concert/platform';
import { call, isSeedError } from './lib/http';
import { table, writeResults } from './lib/results';
import { ServerProcess, spawnServer } from './lib/server';

jest.setTimeout(600_000);

/**
 * The limits at their defaults on the real server process (`npm start`'s command, no RATE_LIMIT_* set):
 * a flood of token issues from one address, and a flood of writes on one token, each for a bounded time.
 */
describe('rate limits at their defaults, under a flood from one address and one token', () => {
  let server: ServerProcess | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'concert-ratelimit-'));

  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Sends `total` requests, `concurrency` at a time, within `maxMs`; counts statuses. */
  async function flood(total: number, concurrency: number, maxMs: number, send: (i: number) => ReturnType<typeof call>) {
    const statuses = new Map<number, number>();
    let badShape = 0;
    let retryAfterMissing = 0;
    let next = 0;
    const started = Date.now();
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (next < total && Date.now() - started < maxMs) {
          const res = await send(next++);
          statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
          if (res.status === 429) {
            if (!isSeedError(res.body, 429) || res.body.error !== 'Too Many Requests') badShape++;
            if (!/^[1-9]\d*$/.test(res.headers?.get('retry-after') ?? '')) retryAfterMissing++;
          }
        }
      }),
    );
    return {
      statuses,
      badShape,
      retryAfterMissing,
      seconds: (Date.now() - started) / 1000,
      sent: [...statuses.values()].reduce((a, b) => a + b, 0),
    };
  }

  it('serves up to the limit, answers the rest 429 with Retry-After, and never limits status polls', async () => {
    server = await spawnServer({
      dataDir,
      env: { QUEUE_MAX_ACTIVE: '100000', RATE_LIMIT_RPS_PER_IP: '', RATE_LIMIT_RPS_PER_TOKEN: '' },
    });
    const url = server.url;

    const issue = await flood(2000, 32, 8000, () => call(url, 'POST', '/queue/token', { body: { userId: randomUUID() } }));
    const issued = issue.statuses.get(200) ?? 0;
    const issueLimited = issue.statuses.get(429) ?? 0;

    // The flood above leaves the IP's bucket empty: wait until it refills before issuing the token the
    // write flood uses (issued first, it could be refused 429, and the flood then ran without a token).
    await new Promise((r) => setTimeout(r, 2000));
    const userId = randomUUID();
    const issuedForWrites = await call(url, 'POST', '/queue/token', { body: { userId } });
    expect(issuedForWrites.status).toBe(200);
    const { token } = issuedForWrites.body;
    const writes = await flood(600, 16, 5000, () => call(url, 'POST', `/users/${userId}/charge`, { token, body: { amount: 1 } }));
    const charged = writes.statuses.get(200) ?? 0;
    const balance = (await call(url, 'GET', `/users/${userId}/balance`, { token })).body.balance;

    const polls = await flood(1500, 32, 8000, () => call(url, 'GET', '/queue/status', { token }));

    writeResults('rate-limit', 'Rate limits at their defaults', [
      `Defaults: RATE_LIMIT_RPS_PER_IP=${DEFAULT_RATE_LIMIT_RPS_PER_IP} (token issue and writes), RATE_LIMIT_RPS_PER_TOKEN=${DEFAULT_RATE_LIMIT_RPS_PER_TOKEN} (writes); ` +
        'token buckets of one second, keyed by socket address (IPv6 by /64) and by token id; 0 turns either off.',
      '',
      ...table(
        ['flood (one address)', 'sent', 'seconds', 'served', '429', 'other', 'ceiling (burst + rate × time)'],
        [
          [
            'POST /queue/token, 32 at a time',
            issue.sent,
            issue.seconds.toFixed(1),
            issued,
            issueLimited,
            issue.sent - issued - issueLimited,
            Math.ceil(DEFAULT_RATE_LIMIT_RPS_PER_IP * (1 + issue.seconds)),
          ],
          [
            'POST charge on one token, 16 at a time',
            writes.sent,
            writes.seconds.toFixed(1),
            charged,
            writes.statuses.get(429) ?? 0,
            writes.sent - charged - (writes.statuses.get(429) ?? 0),
            Math.ceil(DEFAULT_RATE_LIMIT_RPS_PER_TOKEN * (1 + writes.seconds)),
          ],
          [
            'GET /queue/status on one token, 32 at a time',
            polls.sent,
            polls.seconds.toFixed(1),
            polls.statuses.get(200) ?? 0,
            polls.statuses.get(429) ?? 0,
            polls.sent - (polls.statuses.get(200) ?? 0) - (polls.statuses.get(429) ?? 0),
            'not limited',
          ],
        ],
      ),
      '',
      `Every 429 had the seed shape with \`error: "Too Many Requests"\` (${issue.badShape + writes.badShape} did not) and a Retry-After of whole seconds ` +
        `(${issue.retryAfterMissing + writes.retryAfterMissing} did not). The wallet shows exactly the ${charged} charges answered 200 (balance ${balance}).`,
    ]);

    expect([...issue.statuses.keys()].filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(issueLimited).toBeGreaterThan(0);
    expect(issued).toBeLessThanOrEqual(Math.ceil(DEFAULT_RATE_LIMIT_RPS_PER_IP * (1 + issue.seconds)));
    expect(issued).toBeGreaterThanOrEqual(DEFAULT_RATE_LIMIT_RPS_PER_IP);
    expect([...writes.statuses.keys()].filter((s) => s !== 200 && s !== 429)).toEqual([]);
    expect(writes.statuses.get(429) ?? 0).toBeGreaterThan(0);
    expect(charged).toBeLessThanOrEqual(Math.ceil(DEFAULT_RATE_LIMIT_RPS_PER_TOKEN * (1 + writes.seconds)));
    expect(charged).toBeGreaterThanOrEqual(DEFAULT_RATE_LIMIT_RPS_PER_TOKEN);
    expect(balance).toBe(charged);
    expect(issue.badShape + writes.badShape + issue.retryAfterMissing + writes.retryAfterMissing).toBe(0);
    expect([...polls.statuses.keys()]).toEqual([200]);
  });
});
