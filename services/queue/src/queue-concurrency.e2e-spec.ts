import { randomUUID } from 'node:crypto';
import { QUEUE_ADMISSION_STREAM, StoredEvent } from '@concert/contracts';
import { EVENT_STORE, EventStore, InMemoryEventStore } from '@concert/event-store';
import { ApiClient, EmbeddedServer, startEmbedded } from '@concert/testing';
import { claimsOf, queueStatus } from './queue.e2e-helpers';

jest.setTimeout(120_000);

/** One client IP sends everything here: rate limits (off by default) stay off whatever their default becomes. */
const unlimited = { RATE_LIMIT_RPS_PER_IP: '0', RATE_LIMIT_RPS_PER_TOKEN: '0' };

async function queueEvents(store: EventStore): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for (let after = 0; ;) {
    const page = await store.readAll(after, 5000);
    if (page.length === 0) return out;
    out.push(...page.filter((e) => e.streamId.startsWith('queue-')));
    after = page[page.length - 1].position;
  }
}

/** Replays the log: tickets in issue order, activations in admission order, and the most tokens ever ACTIVE at once. */
function replay(events: StoredEvent[]) {
  const tickets: string[] = [];
  const activations: string[] = [];
  const active = new Set<string>();
  const ended = new Set<string>();
  let peak = 0;
  for (const e of events) {
    const data = e.data as { tokenId: string };
    if (e.type === 'TokenIssued') tickets.push(data.tokenId);
    if (e.type === 'TokenActivated' && !ended.has(data.tokenId)) {
      activations.push(data.tokenId);
      active.add(data.tokenId);
      peak = Math.max(peak, active.size);
    }
    if (e.type === 'TokenExpired') {
      ended.add(data.tokenId);
      active.delete(data.tokenId);
    }
  }
  return { tickets, activations, peak };
}

const inBatches = async <T, R>(items: T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> => {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(work))));
  return out;
};

describe('waiting room under 1,000 concurrent token requests', () => {
  let server: EmbeddedServer;
  let api: ApiClient;

  beforeAll(async () => {
    server = await startEmbedded({ env: { ...unlimited, QUEUE_MAX_ACTIVE: '50' } });
    api = new ApiClient(server.url);
  });
  afterAll(() => server.close());

  it('gives each user one token and lines them up by ticket, the first ones admitted', async () => {
    const users = Array.from({ length: 900 }, () => randomUUID());
    const requests = [...users, ...users.slice(0, 100)];
    const replies = await Promise.all(requests.map((userId) => api.post('/queue/token', { userId })));
    expect(replies.every((r) => r.status === 200)).toBe(true);

    const tokenOf = new Map<string, string>();
    for (const [i, r] of replies.entries()) {
      const userId = requests[i];
      expect(claimsOf(r.body.token).sub).toBe(userId);
      if (tokenOf.has(userId)) expect(r.body.token).toBe(tokenOf.get(userId));
      tokenOf.set(userId, r.body.token);
    }
    expect(new Set(tokenOf.values()).size).toBe(users.length);

    const store = server.app.get<symbol, EventStore>(EVENT_STORE, { strict: false });
    const { tickets, activations, peak } = replay(await queueEvents(store));
    expect(tickets).toHaveLength(users.length);
    expect(new Set(tickets).size).toBe(users.length);
    expect(activations).toEqual(tickets.slice(0, 50));
    expect(peak).toBe(50);

    // One consistent picture of the line: ACTIVE for the first tickets, then ranks 1..n in ticket order.
    const tokenByJti = new Map([...tokenOf.values()].map((t) => [claimsOf(t).jti, t]));
    const views = await inBatches(tickets, 100, (jti) => queueStatus(api, tokenByJti.get(jti)!));
    expect(views.slice(0, 50).every((v) => v.status === 'ACTIVE' && v.queuePosition === 0)).toBe(true);
    expect(views.slice(50).every((v) => v.status === 'WAITING')).toBe(true);
    expect(views.slice(50).map((v) => v.queuePosition)).toEqual(Array.from({ length: users.length - 50 }, (_, i) => i + 1));
    const waits = views.slice(50).map((v) => v.estimatedWaitTime);
    expect(waits.every((w, i) => w >= 1 && (i === 0 || w >= waits[i - 1]))).toBe(true);
  });
});

describe('waiting room admitting round after round', () => {
  let server: EmbeddedServer;
  let api: ApiClient;

  beforeAll(async () => {
    server = await startEmbedded({ env: { ...unlimited, QUEUE_MAX_ACTIVE: '20', ACTIVE_TOKEN_TTL_SECONDS: '2' } });
    api = new ApiClient(server.url);
  });
  afterAll(() => server.close());

  it('admits in ticket order and never above the cap', async () => {
    const users = Array.from({ length: 300 }, () => randomUUID());
    const replies = await Promise.all(users.map((userId) => api.post('/queue/token', { userId })));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    const deadline = Date.now() + 7000;
    while (Date.now() < deadline) {
      await inBatches(replies, 100, (r) => queueStatus(api, r.body.token));
      await new Promise((r) => setTimeout(r, 100));
    }
    const store = server.app.get<symbol, EventStore>(EVENT_STORE, { strict: false });
    const { tickets, activations, peak } = replay(await queueEvents(store));
    expect(activations.length).toBeGreaterThanOrEqual(40);
    expect(activations).toEqual(tickets.slice(0, activations.length));
    expect(peak).toBeLessThanOrEqual(20);
  });
});

describe('waiting room with two queue instances on one event store', () => {
  let store: InMemoryEventStore;
  let servers: EmbeddedServer[];

  beforeAll(async () => {
    store = new InMemoryEventStore();
    const env = { ...unlimited, QUEUE_MAX_ACTIVE: '5', ACTIVE_TOKEN_TTL_SECONDS: '2', JWT_SECRET: 'k'.repeat(40) };
    servers = [await startEmbedded({ env, store }), await startEmbedded({ env: { ...env, SEED_DEMO: 'false' }, store })];
  });
  afterAll(async () => {
    for (const s of servers) await s.close();
  });

  it('holds the cap and skips nobody while both admit', async () => {
    const apis = servers.map((s) => new ApiClient(s.url));
    const users = Array.from({ length: 60 }, () => randomUUID());
    const replies = await Promise.all(users.map((userId, i) => apis[i % 2].post('/queue/token', { userId })));
    expect(replies.every((r) => r.status === 200)).toBe(true);
    const again = await Promise.all(users.map((userId, i) => apis[(i + 1) % 2].post('/queue/token', { userId })));
    expect(again.map((r) => r.body.token)).toEqual(replies.map((r) => r.body.token));

    const deadline = Date.now() + 7000;
    while (Date.now() < deadline) {
      await Promise.all(replies.map((r, i) => queueStatus(apis[i % 2], r.body.token)));
      await new Promise((r) => setTimeout(r, 100));
    }
    const { tickets, activations, peak } = replay(await queueEvents(store));
    expect(tickets).toHaveLength(users.length);
    expect(activations.length).toBeGreaterThanOrEqual(10);
    expect(activations).toEqual(tickets.slice(0, activations.length));
    expect(peak).toBeLessThanOrEqual(5);
    const admissions = (await store.readStream(QUEUE_ADMISSION_STREAM)).map((e) => (e.data as { tokenId: string }).tokenId);
    expect(new Set(admissions).size).toBe(admissions.length);
  });
});
