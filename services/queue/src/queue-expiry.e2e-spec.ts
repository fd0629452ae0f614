import { randomUUID } from 'node:crypto';
import { queueUserStream, StoredEvent } from '@concert/contracts';
import { EVENT_STORE, EventStore } from '@concert/event-store';
import { ApiClient, EmbeddedServer, startEmbedded, waitFor } from '@concert/testing';
import { queueStatus, sleep, statusUntil } from './queue.e2e-helpers';

jest.setTimeout(60_000);

const eventsOf = (server: EmbeddedServer, userId: string): Promise<StoredEvent[]> =>
  server.app.get<symbol, EventStore>(EVENT_STORE, { strict: false }).readStream(queueUserStream(userId));

/**
 * Keeps a WAITING token's place by polling, as a browser tab would: a poll that fails on the way (a
 * keep-alive connection reset under a loaded CI machine: ECONNRESET, once) is tried again at the next tick
 * instead of failing the test from a loop nobody awaits; the test's own requests still must succeed.
 */
function keepPolling(api: ApiClient, token: string, everyMs = 300): () => void {
  let stopped = false;
  void (async () => {
    while (!stopped) {
      await queueStatus(api, token).catch(() => undefined);
      await sleep(everyMs);
    }
  })();
  return () => {
    stopped = true;
  };
}

describe('waiting room: active tokens end at their TTL', () => {
  let server: EmbeddedServer;
  let api: ApiClient;

  beforeAll(async () => {
    server = await startEmbedded({
      env: { QUEUE_MAX_ACTIVE: '1', ACTIVE_TOKEN_TTL_SECONDS: '2', QUEUE_IDLE_TIMEOUT_SECONDS: '60' },
    });
    api = new ApiClient(server.url);
  });
  afterAll(() => server.close());

  it('expires the active token after the TTL and admits the next one', async () => {
    const first = randomUUID();
    const second = randomUUID();
    const a = await api.tokenFor(first);
    const b = await api.tokenFor(second);
    expect([a.status, b.status, b.queuePosition]).toEqual(['ACTIVE', 'WAITING', 1]);

    const admitted = await statusUntil(api, b.token, (v) => v.status === 'ACTIVE', 8000);
    expect(admitted).toMatchObject({ queuePosition: 0, estimatedWaitTime: 0 });
    expect(await queueStatus(api, a.token)).toMatchObject({ httpStatus: 200, status: 'EXPIRED', queuePosition: 0 });
    const forbidden = await api.withToken(a.token).get('/concerts/1/available-dates');
    expect(forbidden.status).toBe(403);

    const expired = (await eventsOf(server, first)).find((e) => e.type === 'TokenExpired');
    expect(expired?.data).toMatchObject({ reason: 'ACTIVE_TTL' });
  });

  it('still opens the wallet to a user whose token expired', async () => {
    const userId = randomUUID();
    const { token } = await api.tokenFor(userId);
    await statusUntil(api, token, (v) => v.status === 'EXPIRED', 15_000);
    const balance = await api.withToken(token).get(`/users/${userId}/balance`);
    expect(balance.status).toBe(200);
  });

  it('gives a user whose token expired a new token at the back of the line', async () => {
    const userId = randomUUID();
    const { token } = await api.tokenFor(userId);
    await statusUntil(api, token, (v) => v.status === 'EXPIRED', 15_000);
    const again = await api.tokenFor(userId);
    expect(again.token).not.toBe(token);
    expect(['ACTIVE', 'WAITING']).toContain(again.status);
    expect(await queueStatus(api, token)).toMatchObject({ status: 'EXPIRED' });
  });
});

describe('waiting room: abandoned tokens lose their place', () => {
  let server: EmbeddedServer;
  let api: ApiClient;

  beforeAll(async () => {
    server = await startEmbedded({
      env: { QUEUE_MAX_ACTIVE: '1', ACTIVE_TOKEN_TTL_SECONDS: '600', QUEUE_IDLE_TIMEOUT_SECONDS: '2' },
    });
    api = new ApiClient(server.url);
  });
  afterAll(() => server.close());

  it('expires a WAITING token nobody polls, keeps the polled ones and never idles out an ACTIVE one', async () => {
    const [holder, leaver, stayer] = [randomUUID(), randomUUID(), randomUUID()];
    const active = await api.tokenFor(holder);
    const gone = await api.tokenFor(leaver);
    const kept = await api.tokenFor(stayer);
    expect([active.status, gone.queuePosition, kept.queuePosition]).toEqual(['ACTIVE', 1, 2]);

    const stop = keepPolling(api, kept.token);
    try {
      await waitFor(async () => (await eventsOf(server, leaver)).some((e) => e.type === 'TokenExpired'), 10_000, 200);
      const polled = await statusUntil(api, kept.token, (v) => v.queuePosition === 1, 1500);
      expect(polled).toMatchObject({ status: 'WAITING', queuePosition: 1 });
      await sleep(1000);
    } finally {
      stop();
    }
    expect(await queueStatus(api, gone.token)).toEqual({
      httpStatus: 200,
      status: 'EXPIRED',
      queuePosition: 0,
      estimatedWaitTime: 0,
    });
    expect(await queueStatus(api, active.token)).toMatchObject({ status: 'ACTIVE' });
    const expired = (await eventsOf(server, leaver)).find((e) => e.type === 'TokenExpired');
    expect(expired?.data).toMatchObject({ reason: 'IDLE' });
    expect((await eventsOf(server, holder)).map((e) => e.type)).toEqual(['TokenIssued']);
  });

  it('does not count a guarded request as a poll', async () => {
    const [holder, waiter] = [randomUUID(), randomUUID()];
    await api.tokenFor(holder);
    const w = await api.tokenFor(waiter);
    expect(w.status).toBe('WAITING');
    const deadline = Date.now() + 4000;
    while (Date.now() < deadline) {
      await api.withToken(w.token).get('/concerts/1/available-dates');
      await sleep(300);
    }
    expect(await queueStatus(api, w.token)).toMatchObject({ status: 'EXPIRED' });
  });

  it('gives an abandoned user a new token at the back when they come back', async () => {
    const [leaver, stayer] = [randomUUID(), randomUUID()];
    const gone = await api.tokenFor(leaver);
    const kept = await api.tokenFor(stayer);
    const stop = keepPolling(api, kept.token);
    try {
      await waitFor(async () => (await eventsOf(server, leaver)).some((e) => e.type === 'TokenExpired'), 10_000, 200);
      const back = await api.tokenFor(leaver);
      expect(back.token).not.toBe(gone.token);
      expect(back.status).toBe('WAITING');
      const stayerView = await queueStatus(api, kept.token);
      expect(back.queuePosition).toBe(stayerView.queuePosition + 1);
    } finally {
      stop();
    }
  });
});
