import { randomUUID } from 'node:crypto';
import { walletStream } from '@concert/contracts';
import { EVENT_STORE, EventStore } from '@concert/event-store';
import { ApiClient, EmbeddedServer, startEmbedded } from '@concert/testing';

// A loaded 2-core box boots several apps per file: generous limits (the project's testTimeout is not applied to hooks).
jest.setTimeout(120_000);

describe('wallet API', () => {
  let server: EmbeddedServer;
  let api: ApiClient;

  beforeAll(async () => {
    server = await startEmbedded({ env: { SEED_DEMO: 'false', MAX_CHARGE_AMOUNT: '5000000' } });
    api = new ApiClient(server.url);
  });
  afterAll(() => server.close());

  const walletEvents = (userId: string) => server.app.get<symbol, EventStore>(EVENT_STORE).readStream(walletStream(userId));

  it('reads 0 for a new user', async () => {
    const userId = randomUUID();
    const { client } = await api.tokenFor(userId);
    const res = await client.get(`/users/${userId}/balance`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ userId, balance: 0 });
  });

  it('charges and shows the charge on the very next balance read', async () => {
    const userId = randomUUID();
    const { client } = await api.tokenFor(userId);
    const first = await client.post(`/users/${userId}/charge`, { amount: 30_000 });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ userId, chargedAmount: 30_000, balance: 30_000, chargedAt: expect.any(String) });
    expect(new Date(first.body.chargedAt).toISOString()).toBe(first.body.chargedAt);
    const second = await client.post(`/users/${userId}/charge`, { amount: 12_345 });
    expect(second.body).toMatchObject({ chargedAmount: 12_345, balance: 42_345 });
    expect((await client.get(`/users/${userId}/balance`)).body).toEqual({ userId, balance: 42_345 });
  });

  it('answers 400 "Amount must be positive" for zero and negative amounts', async () => {
    const userId = randomUUID();
    const { client } = await api.tokenFor(userId);
    for (const amount of [0, -1, -50_000, -0.5]) {
      const res = await client.post(`/users/${userId}/charge`, { amount });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, message: 'Amount must be positive', error: 'Bad Request' });
    }
  });

  it('answers 400 for fractions, strings, null, a missing amount and amounts past MAX_CHARGE_AMOUNT, moving nothing', async () => {
    const userId = randomUUID();
    const { client } = await api.tokenFor(userId);
    for (const body of [
      { amount: 0.5 },
      { amount: 1000.25 },
      { amount: '1000' },
      { amount: '1e9' },
      { amount: null },
      {},
      { amount: 5_000_001 },
      { amount: true },
      { amount: [1000] },
    ]) {
      const res = await client.post(`/users/${userId}/charge`, body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    }
    for (const raw of ['{"amount": 1e400}', '[1000]', 'null', '{"amount":']) {
      expect((await client.request('POST', `/users/${userId}/charge`, raw)).status).toBe(400);
    }
    expect((await client.post(`/users/${userId}/charge`, { amount: 5_000_000 })).status).toBe(200);
    expect((await client.get(`/users/${userId}/balance`)).body.balance).toBe(5_000_000);
  });

  it("serves only the token's owner", async () => {
    const alice = randomUUID();
    const bob = randomUUID();
    const { client: asAlice } = await api.tokenFor(alice);
    await api.tokenFor(bob);
    expect((await asAlice.get(`/users/${bob}/balance`)).status).toBe(403);
    expect((await asAlice.post(`/users/${bob}/charge`, { amount: 1000 })).status).toBe(403);
    expect((await api.get(`/users/${alice}/balance`)).status).toBe(401);
    expect((await api.withToken('not.a.token').post(`/users/${alice}/charge`, { amount: 1000 })).status).toBe(401);
    expect((await walletEvents(bob)).length).toBe(0);
  });

  it('keeps all of 50 concurrent charges', async () => {
    const userId = randomUUID();
    const { client } = await api.tokenFor(userId);
    const amounts = Array.from({ length: 50 }, (_, i) => 1_000 + i);
    const results = await Promise.all(amounts.map((amount) => client.post(`/users/${userId}/charge`, { amount })));
    expect(results.map((r) => r.status)).toEqual(amounts.map(() => 200));
    const total = amounts.reduce((a, b) => a + b, 0);
    expect(Math.max(...results.map((r) => r.body.balance))).toBe(total);
    expect(new Set(results.map((r) => r.body.balance)).size).toBe(50);
    expect((await client.get(`/users/${userId}/balance`)).body.balance).toBe(total);
    expect((await walletEvents(userId)).filter((e) => e.type === 'WalletCharged')).toHaveLength(50);
  });

  it('replays the first answer for a repeated Idempotency-Key and charges once, even concurrently', async () => {
    const userId = randomUUID();
    const { client } = await api.tokenFor(userId);
    const key = { 'Idempotency-Key': `charge-${randomUUID()}` };
    const first = await client.post(`/users/${userId}/charge`, { amount: 7_000 }, key);
    expect(first.status).toBe(200);
    await client.post(`/users/${userId}/charge`, { amount: 1_000 });
    const again = await Promise.all(
      Array.from({ length: 10 }, () => client.post(`/users/${userId}/charge`, { amount: 7_000 }, key)),
    );
    for (const res of again) expect(res.body).toEqual(first.body);
    expect((await client.get(`/users/${userId}/balance`)).body.balance).toBe(8_000);

    const other = { 'Idempotency-Key': `charge-${randomUUID()}` };
    const burst = await Promise.all(
      Array.from({ length: 10 }, () => client.post(`/users/${userId}/charge`, { amount: 500 }, other)),
    );
    expect(burst.map((r) => r.status)).toEqual(burst.map(() => 200));
    expect(new Set(burst.map((r) => JSON.stringify(r.body))).size).toBe(1);
    expect((await client.get(`/users/${userId}/balance`)).body.balance).toBe(8_500);

    const reused = await client.post(`/users/${userId}/charge`, { amount: 9_999 }, key);
    expect(reused.status).toBe(422);
    expect((await client.get(`/users/${userId}/balance`)).body.balance).toBe(8_500);
    expect((await walletEvents(userId)).filter((e) => e.type === 'WalletCharged')).toHaveLength(3);
  });

  it('keys idempotency per user: two users may use the same key', async () => {
    const key = { 'Idempotency-Key': 'same-key-for-both' };
    for (const userId of [randomUUID(), randomUUID()]) {
      const { client } = await api.tokenFor(userId);
      expect((await client.post(`/users/${userId}/charge`, { amount: 2_000 }, key)).body.balance).toBe(2_000);
    }
  });

  it('rejects a malformed Idempotency-Key', async () => {
    const userId = randomUUID();
    const { client } = await api.tokenFor(userId);
    expect((await client.post(`/users/${userId}/charge`, { amount: 1_000 }, { 'Idempotency-Key': 'x'.repeat(300) })).status).toBe(
      400,
    );
    expect((await client.get(`/users/${userId}/balance`)).body.balance).toBe(0);
  });
});
