import { ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from 'mongoose';
import { SqliteEventStore } from '@concert/event-store';
import { ApiClient } from '@concert/testing';
import {
  checkEngines,
  connectMongo,
  ContextName,
  describeWithEngines,
  dropKafkaNamespace,
  isolatedMongoUrl,
  isolatedNamespace,
  MongoReadModels,
  ReadModelName,
  rebuildReadModels,
} from '@concert/distributed';

// Separate processes on engines shared with other runs, on 2 cores: be patient.
jest.setTimeout(600_000);

const engines = checkEngines({ kafka: true, mongo: true });
const ROOT = join(__dirname, '..', '..', '..');
const INSTANCES = 2;

interface System {
  child: ChildProcess;
  url: string;
  pids: Map<string, number>;
  output: string[];
  exited: Promise<number | null>;
}

/** Resolves to `value` after `ms`, without keeping the test process alive. */
function after<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms).unref());
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

function startSystem(env: Record<string, string>): Promise<System> {
  const child = spawn(process.execPath, ['tools/start-distributed.js'], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const pids = new Map<string, number>();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`not ready in 300 s:\n${output.slice(-60).join('\n')}`)), 300_000);
    const onLine = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (!line) continue;
        output.push(line);
        if (output.length > 5000) output.shift();
        const started = /^\[start-distributed\] started (\S+) pid (\d+)/.exec(line);
        if (started) pids.set(started[1], Number(started[2]));
        const ready = /^\[start-distributed\] ready on (\S+)/.exec(line);
        if (ready) {
          clearTimeout(timer);
          resolve({ child, url: ready[1], pids, output, exited });
        }
      }
    };
    child.stdout!.on('data', onLine);
    child.stderr!.on('data', onLine);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`start-distributed exited (${code}) before ready:\n${output.slice(-60).join('\n')}`));
    });
  });
}

async function stopSystem(system: System | undefined): Promise<void> {
  if (!system || system.child.exitCode !== null || system.child.signalCode !== null) return;
  system.child.kill('SIGTERM');
  const code = await Promise.race([system.exited, after(60_000, 'timeout' as const)]);
  if (code === 'timeout') {
    system.child.kill('SIGKILL');
    for (const pid of system.pids.values()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }
}

/** Keys sorted, so documents written by different paths compare equal. */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => [k, sorted(v)]),
    );
  }
  return value;
}

async function until<T>(probe: () => Promise<T | undefined | false>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Retries while the system answers 503 (a service is still joining its consumer group). */
async function settled<T extends { status: number }>(call: () => Promise<T>, timeoutMs = 90_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await call().catch((err: unknown) => ({ status: 0, body: String(err) }) as unknown as T);
    if ((res.status !== 503 && res.status !== 0) || Date.now() > deadline) return res;
    await new Promise((r) => setTimeout(r, 500));
  }
}

describeWithEngines('distributed mode: separate processes on Kafka and MongoDB (tools/start-distributed.js)', engines, () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'concert-distributed-'));
  const mongoUrl = isolatedMongoUrl(engines.mongoUrl!, 'concert_it_e2e');
  const env: Record<string, string> = {
    KAFKA_BROKERS: engines.kafkaBrokers!.join(','),
    MONGO_URL: mongoUrl,
    KAFKA_NAMESPACE: isolatedNamespace('it-e2e'),
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    INSTANCES: String(INSTANCES),
    QUEUE_MAX_ACTIVE: '1000',
    JWT_SECRET: 'distributed-spec-secret-distributed-spec-secret',
  };
  let system: System | undefined;
  let api: ApiClient;
  let mongo: Connection;
  let date: string;

  beforeAll(async () => {
    env.PORT = String(await freePort());
    system = await startSystem(env);
    api = new ApiClient(system.url);
    mongo = await connectMongo(mongoUrl);
  });

  afterAll(async () => {
    await stopSystem(system);
    await dropKafkaNamespace(engines.kafkaBrokers!, env.KAFKA_NAMESPACE).catch((err: unknown) =>
      console.warn(`cleanup: ${String(err)}`),
    );
    await mongo?.db?.dropDatabase().catch(() => undefined);
    await mongo?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it(`runs ${INSTANCES} instances of every service, each its own process`, () => {
    for (const service of ['queue', 'booking', 'wallet']) {
      for (let i = 1; i <= INSTANCES; i++) expect(system!.pids.get(`${service}#${i}`)).toBeGreaterThan(0);
    }
    expect(system!.pids.get('gateway')).toBeGreaterThan(0);
    expect(new Set(system!.pids.values()).size).toBe(3 * INSTANCES + 1);
  });

  it('serves the seed flow: token → dates → seats → hold → charge → pay', async () => {
    const userId = randomUUID();
    const token = await settled(() => api.post('/queue/token', { userId }));
    expect(token.status).toBe(200);
    expect(token.body.status).toBe('ACTIVE');
    const client = api.withToken(token.body.token);
    const dates = await settled(() => client.get('/concerts/1/available-dates'));
    expect(dates.status).toBe(200);
    expect(dates.body.availableDates.length).toBeGreaterThanOrEqual(3);
    date = dates.body.availableDates[0];
    const seats = await client.get(`/concerts/1/available-seats?date=${date}`);
    expect(seats.status).toBe(200);
    expect(seats.body.seats).toHaveLength(50);
    const hold = await client.post('/reservations', { concertId: 1, date, seatNumber: 7 });
    expect(hold.status).toBe(201);
    expect(hold.body.status).toBe('TEMPORARILY_RESERVED');
    const poor = await client.post('/payments', { reservationId: hold.body.reservationId });
    expect(poor.status).toBe(402);
    expect(poor.body).toEqual({ statusCode: 402, message: 'Insufficient balance', error: 'Payment Required' });
    const charge = await client.post(`/users/${userId}/charge`, { amount: 200_000 });
    expect(charge.status).toBe(200);
    expect(charge.body.balance).toBe(200_000);
    const paid = await client.post('/payments', { reservationId: hold.body.reservationId });
    expect(paid.status).toBe(200);
    expect(paid.body).toMatchObject({
      reservationId: hold.body.reservationId,
      userId,
      amount: hold.body.price,
      status: 'COMPLETED',
    });
    const balance = await client.get(`/users/${userId}/balance`);
    expect(balance.body).toEqual({ userId, balance: 200_000 - hold.body.price });
    const after = await client.get('/queue/status');
    expect(after.body.status).toBe('EXPIRED');
    // The read models in MongoDB follow through Kafka.
    const models = new MongoReadModels(mongo);
    await until(
      async () => (await models.documents('reservations')).find((r) => r._id === hold.body.reservationId)?.status === 'CONFIRMED',
      60_000,
      'reservation CONFIRMED in MongoDB',
    );
    await until(
      async () => (await models.documents('balances')).find((b) => b._id === userId)?.balance === 200_000 - hold.body.price,
      60_000,
      'balance in MongoDB',
    );
  });

  it('20 concurrent holds on one seat, spread over two booking processes: one 201, nineteen 409', async () => {
    const clients = await Promise.all(Array.from({ length: 20 }, () => api.tokenFor(randomUUID()).then((t) => t.client)));
    const results = await Promise.all(clients.map((c) => c.post('/reservations', { concertId: 1, date, seatNumber: 17 })));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(19);
    for (const r of results.filter((x) => x.status === 409)) {
      expect(r.body).toEqual({ statusCode: 409, message: 'Seat is already reserved', error: 'Conflict' });
    }
  });

  it('the same payment sent 10 times at once, over two booking processes: one debit, one paymentId', async () => {
    const userId = randomUUID();
    const { client } = await api.tokenFor(userId);
    expect((await client.post(`/users/${userId}/charge`, { amount: 300_000 })).status).toBe(200);
    const hold = await client.post('/reservations', { concertId: 1, date, seatNumber: 21 });
    expect(hold.status).toBe(201);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => client.post('/payments', { reservationId: hold.body.reservationId })),
    );
    const ok = answers.filter((a) => a.status === 200);
    expect(ok.length).toBeGreaterThan(0);
    expect(new Set(ok.map((a) => a.body.paymentId)).size).toBe(1);
    // The others may find the buyer's token already released by the completed payment.
    for (const a of answers) expect([200, 403]).toContain(a.status);
    const balance = await client.get(`/users/${userId}/balance`);
    expect(balance.body).toEqual({ userId, balance: 300_000 - hold.body.price });
  });

  it('kill -9 of a booking process mid-payments, then a restart: nothing acknowledged is lost, every payment ends once', async () => {
    const buyers = await Promise.all(
      Array.from({ length: 8 }, async (_, i) => {
        const userId = randomUUID();
        const { client } = await api.tokenFor(userId);
        const charge = await client.post(`/users/${userId}/charge`, { amount: 500_000 });
        expect(charge.status).toBe(200);
        const hold = await client.post('/reservations', { concertId: 1, date, seatNumber: 30 + i });
        expect(hold.status).toBe(201);
        return { userId, client, reservationId: hold.body.reservationId as string, price: hold.body.price as number };
      }),
    );
    const victim = system!.pids.get('booking#1')!;
    const payments = buyers.map((b) =>
      b.client.post('/payments', { reservationId: b.reservationId }).catch((err: unknown) => ({ status: 0, body: String(err) })),
    );
    await new Promise((r) => setTimeout(r, 40));
    process.kill(victim, 'SIGKILL');
    const answers = await Promise.all(payments);
    // The supervisor stops everything when a child dies, and exits 1.
    expect(await Promise.race([system!.exited, after(90_000, 'still running')])).toBe(1);
    const acknowledged = new Map<string, string>();
    answers.forEach((a, i) => {
      if (a.status === 200) acknowledged.set(buyers[i].reservationId, (a.body as { paymentId: string }).paymentId);
    });

    console.log(`payments answered before the restart: ${answers.map((a) => a.status).join(' ')}`);
    system = await startSystem(env);
    api = new ApiClient(system.url);
    // Payments left mid-way resume (saga recovery) or are retried by their buyers; each ends exactly once.
    for (const b of buyers) {
      if (acknowledged.has(b.reservationId)) continue;
      const res = await settled(() => b.client.post('/payments', { reservationId: b.reservationId }));
      // 403: the saga's recovery completed it first and released the buyer's token.
      expect([200, 403]).toContain(res.status);
      if (res.status === 200) acknowledged.set(b.reservationId, res.body.paymentId);
    }
    const models = new MongoReadModels(mongo);
    const confirmed = await until(
      async () => {
        const docs = await models.documents('reservations');
        const mine = buyers.map((b) => docs.find((d) => d._id === b.reservationId));
        return mine.every((d) => d?.status === 'CONFIRMED') ? mine : undefined;
      },
      120_000,
      'every reservation CONFIRMED in MongoDB',
    );
    for (const doc of confirmed) {
      const ack = acknowledged.get(doc!._id);
      if (ack) expect(doc!.paymentId).toBe(ack);
    }
    for (const b of buyers) {
      const balance = await settled(() => b.client.get(`/users/${b.userId}/balance`));
      expect(balance.body).toEqual({ userId: b.userId, balance: 500_000 - b.price });
    }
    const balances = await until(
      async () => {
        const docs = await models.documents('balances');
        const mine = buyers.map((b) => docs.find((d) => d._id === b.userId));
        return mine.every((d, i) => d?.balance === 500_000 - buyers[i].price) ? mine : undefined;
      },
      120_000,
      'balances in MongoDB',
    );
    for (const [i, doc] of balances.entries()) {
      expect(doc).toMatchObject({ charged: 500_000, debited: buyers[i].price, refunded: 0 });
    }
  });

  it('the read models projected live equal a rebuild from every service’s event store', async () => {
    const rebuiltUrl = isolatedMongoUrl(engines.mongoUrl!, 'concert_it_e2e_rebuilt');
    const live = new MongoReadModels(mongo);
    const rebuiltDb = await connectMongo(rebuiltUrl);
    const rebuilt = new MongoReadModels(rebuiltDb);
    const names: ReadModelName[] = ['balances', 'seats', 'reservations', 'queueTokens'];
    const snapshot = async (models: MongoReadModels) => Promise.all(names.map((n) => models.documents(n)));
    try {
      // The stores can be read while the services run (SQLite WAL); the projection lags by a relay hop.
      await until(
        async () => {
          for (const context of ['queue', 'booking', 'wallet'] as ContextName[]) {
            const store = new SqliteEventStore(join(dataDir, `${context}.db`));
            try {
              await rebuildReadModels(store, rebuiltUrl, { contexts: [context] });
            } finally {
              await store.close();
            }
          }
          return JSON.stringify(sorted(await snapshot(live))) === JSON.stringify(sorted(await snapshot(rebuilt)));
        },
        120_000,
        'live read models equal the rebuild',
      );
      const expected = await snapshot(rebuilt);
      expect(expected.every((docs) => docs.length > 0)).toBe(true);
      expect(await snapshot(live)).toEqual(expected);
    } finally {
      await rebuiltDb.db?.dropDatabase().catch(() => undefined);
      await rebuiltDb.close();
    }
  });

  it('kill -9 of the whole group mid-charges, then a restart: every acknowledged charge is there, tokens still work', async () => {
    const users = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const userId = randomUUID();
        const issued = await settled(() => api.post('/queue/token', { userId }));
        expect(issued.status).toBe(200);
        const token: string = issued.body.token;
        return { userId, token, client: api.withToken(token), acknowledged: 0, attempted: 0 };
      }),
    );
    let stop = false;
    const streams = users.map(async (u) => {
      for (let i = 0; i < 200 && !stop; i++) {
        u.attempted += 1_000;
        const res = await u.client.post(`/users/${u.userId}/charge`, { amount: 1_000 }).catch(() => ({ status: 0 }));
        if (res.status === 200) u.acknowledged += 1_000;
        else break;
      }
    });
    await until(async () => users.every((u) => u.acknowledged >= 3_000), 60_000, 'charges flowing');
    for (const pid of [...system!.pids.values(), system!.child.pid!]) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    stop = true;
    await Promise.all(streams);
    await system!.exited;

    system = await startSystem(env);
    api = new ApiClient(system.url);
    for (const u of users) {
      // The token issued before the crash: the queue rebuilt its state from the log.
      const client = new ApiClient(system.url, u.token);
      const balance = await settled(() => client.get(`/users/${u.userId}/balance`));
      expect(balance.status).toBe(200);
      expect(balance.body.balance).toBeGreaterThanOrEqual(u.acknowledged);
      expect(balance.body.balance).toBeLessThanOrEqual(u.attempted);
    }
  });
});
