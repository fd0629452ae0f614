import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, EmbeddedServer, startEmbedded } from '@concert/testing';
import { queueStatus, QueueView, sleep, statusUntil } from './queue.e2e-helpers';

jest.setTimeout(60_000);

const env = { QUEUE_MAX_ACTIVE: '3', QUEUE_IDLE_TIMEOUT_SECONDS: '3', ACTIVE_TOKEN_TTL_SECONDS: '600' };
const view = ({ status, queuePosition }: QueueView) => ({ status, queuePosition });

describe('waiting room across a restart', () => {
  let dataDir: string;
  let server: EmbeddedServer | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'queue-restart-'));
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps tokens valid and places unchanged, and does not count the downtime as idle', async () => {
    server = await startEmbedded({ env, dataDir });
    let api = new ApiClient(server.url);
    const users = Array.from({ length: 5 }, () => randomUUID());
    const tokens: string[] = [];
    for (const userId of users) tokens.push((await api.tokenFor(userId)).token);
    const before = await Promise.all(tokens.map(async (t) => view(await queueStatus(api, t))));
    expect(before).toEqual([
      { status: 'ACTIVE', queuePosition: 0 },
      { status: 'ACTIVE', queuePosition: 0 },
      { status: 'ACTIVE', queuePosition: 0 },
      { status: 'WAITING', queuePosition: 1 },
      { status: 'WAITING', queuePosition: 2 },
    ]);
    // Outlive the idle limit while polling, so only the polls (not the issue time) keep the waiting tokens in line.
    for (let i = 0; i < 8; i++) {
      await Promise.all(tokens.slice(3).map((t) => queueStatus(api, t)));
      await sleep(500);
    }

    await server.close({ keepData: true });
    server = await startEmbedded({ env, dataDir });
    api = new ApiClient(server.url);

    const after = await Promise.all(
      tokens.map(async (t) => ({ httpStatus: (await queueStatus(api, t)).httpStatus, ...view(await queueStatus(api, t)) })),
    );
    expect(after).toEqual(before.map((b) => ({ httpStatus: 200, ...b })));
    for (const [i, userId] of users.entries()) {
      const again = await api.post('/queue/token', { userId });
      expect({ token: again.body.token, queuePosition: again.body.queuePosition }).toEqual({
        token: tokens[i],
        queuePosition: before[i].queuePosition,
      });
    }
    const activeUse = await api.withToken(tokens[0]).get('/concerts/1/available-dates');
    expect(activeUse.status).toBe(200);

    // The fourth keeps polling and keeps its place; the fifth stops and is let go after the idle limit.
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline) {
      expect(view(await queueStatus(api, tokens[3]))).toEqual({ status: 'WAITING', queuePosition: 1 });
      await sleep(400);
    }
    const fifth = await statusUntil(api, tokens[4], (v) => v.status === 'EXPIRED', 1500);
    expect(fifth).toMatchObject({ httpStatus: 200, queuePosition: 0 });

    const newcomer = await api.tokenFor(randomUUID());
    expect([newcomer.status, newcomer.queuePosition]).toEqual(['WAITING', 2]);
  });

  it('keeps a generated JWT secret across restarts', async () => {
    const api = new ApiClient(server!.url);
    const { token } = await api.tokenFor(randomUUID());
    const secret = server!.config.jwtSecret;
    await server!.close({ keepData: true });
    server = await startEmbedded({ env, dataDir });
    expect(server.config.jwtSecret).toBe(secret);
    const res = await new ApiClient(server.url).withToken(token).get('/queue/status');
    expect(res.status).toBe(200);
  });
});
