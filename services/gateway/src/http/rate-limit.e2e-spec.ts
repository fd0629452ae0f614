import { randomUUID } from 'node:crypto';
import { ApiClient, EmbeddedServer, startEmbedded } from '@concert/testing';

const TOO_MANY = { statusCode: 429, message: expect.any(String), error: 'Too Many Requests' };

describe('rate limits (RATE_LIMIT_RPS_PER_IP, RATE_LIMIT_RPS_PER_TOKEN)', () => {
  describe('per IP on token issue and writes', () => {
    let server: EmbeddedServer;
    beforeAll(async () => {
      server = await startEmbedded({ env: { RATE_LIMIT_RPS_PER_IP: '5', RATE_LIMIT_RPS_PER_TOKEN: '0' } });
    });
    afterAll(() => server?.close());

    it('a burst of token issues past the limit gets 429 in the seed shape with Retry-After; status polls are not limited', async () => {
      const api = new ApiClient(server.url);
      const answers = await Promise.all(Array.from({ length: 20 }, () => api.post('/queue/token', { userId: randomUUID() })));
      const ok = answers.filter((a) => a.status === 200);
      const limited = answers.filter((a) => a.status === 429);
      // 5 banked, plus one per 200 ms the burst takes to arrive (slow on a busy machine).
      expect(ok.length).toBeGreaterThanOrEqual(5);
      expect(ok.length).toBeLessThanOrEqual(12);
      expect(ok.length + limited.length).toBe(20);
      for (const res of limited) {
        expect(res.body).toEqual(TOO_MANY);
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
      const polls = await Promise.all(Array.from({ length: 30 }, () => api.withToken(ok[0].body.token).get('/queue/status')));
      expect(polls.map((p) => p.status)).toEqual(Array(30).fill(200));
    });

    it('the budget refills: after Retry-After the same client is served again', async () => {
      const api = new ApiClient(server.url);
      let limited;
      for (let i = 0; i < 20 && !limited; i++) {
        const res = await api.post('/queue/token', { userId: randomUUID() });
        if (res.status === 429) limited = res;
      }
      expect(limited).toBeDefined();
      await new Promise((r) => setTimeout(r, Number(limited!.headers.get('retry-after')) * 1000));
      expect((await api.post('/queue/token', { userId: randomUUID() })).status).toBe(200);
    });
  });

  describe('per token on writes', () => {
    let server: EmbeddedServer;
    beforeAll(async () => {
      server = await startEmbedded({ env: { RATE_LIMIT_RPS_PER_IP: '0', RATE_LIMIT_RPS_PER_TOKEN: '4' } });
    });
    afterAll(() => server?.close());

    it('one token’s burst of charges past the limit gets 429; another token is unaffected; nothing refused was applied', async () => {
      const api = new ApiClient(server.url);
      const a = randomUUID();
      const b = randomUUID();
      const { client: ca } = await api.tokenFor(a);
      const { client: cb } = await api.tokenFor(b);
      const burst = await Promise.all(Array.from({ length: 16 }, () => ca.post(`/users/${a}/charge`, { amount: 1000 })));
      const charged = burst.filter((r) => r.status === 200).length;
      expect(charged).toBeGreaterThanOrEqual(4);
      expect(charged).toBeLessThanOrEqual(10);
      for (const res of burst.filter((r) => r.status !== 200)) {
        expect(res.status).toBe(429);
        expect(res.body).toEqual(TOO_MANY);
        expect(res.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
      }
      expect((await cb.post(`/users/${b}/charge`, { amount: 1000 })).status).toBe(200);
      // Reads are not limited per token: the balance shows exactly the charges that were answered 200.
      const balances = await Promise.all(Array.from({ length: 20 }, () => ca.get(`/users/${a}/balance`)));
      expect(balances.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(balances[0].body.balance).toBe(charged * 1000);
    });

    it('forged tokens are not limited per token (they get 401 from the guard) and do not share a bucket with real ones', async () => {
      const api = new ApiClient(server.url);
      const forged = await Promise.all(
        Array.from({ length: 10 }, (_, i) => api.withToken(`x.y.${i}`).post('/payments', { reservationId: randomUUID() })),
      );
      expect(forged.map((r) => r.status)).toEqual(Array(10).fill(401));
    });
  });

  describe('0 turns both off', () => {
    let server: EmbeddedServer;
    beforeAll(async () => {
      server = await startEmbedded({ env: { RATE_LIMIT_RPS_PER_IP: '0', RATE_LIMIT_RPS_PER_TOKEN: '0' } });
    });
    afterAll(() => server?.close());

    it('a burst of 60 token issues and 60 charges from one address and one token: all served', async () => {
      const api = new ApiClient(server.url);
      const issues = await Promise.all(Array.from({ length: 60 }, () => api.post('/queue/token', { userId: randomUUID() })));
      expect(issues.filter((r) => r.status === 429)).toHaveLength(0);
      const u = randomUUID();
      const { client } = await api.tokenFor(u);
      const charges = await Promise.all(Array.from({ length: 60 }, () => client.post(`/users/${u}/charge`, { amount: 10 })));
      expect(charges.filter((r) => r.status === 429)).toHaveLength(0);
    });
  });
});
