import { randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import { ApiClient, EmbeddedServer, startEmbedded } from '@concert/testing';
import { main } from './main';
import { SqliteEventReader } from './readers/sqlite-reader';
import { EmbeddedReadModels } from './rebuild/embedded-read-models';
import { rebuildReadModels } from './rebuild/read-model-sink';
import { runAudit } from './run-audit';
import { captureIo } from './spec-helpers';

const HOLD_TTL_SECONDS = 3;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('audit of a store made by real traffic through the API', () => {
  let server: EmbeddedServer;
  let api: ApiClient;
  let running = false;

  beforeAll(async () => {
    server = await startEmbedded({ env: { HOLD_TTL_SECONDS: String(HOLD_TTL_SECONDS), QUEUE_MAX_ACTIVE: '20' } });
    running = true;
    api = new ApiClient(server.url);
  });
  afterAll(async () => {
    if (running) await server.close({ keepData: true });
    rmSync(server.dataDir, { recursive: true, force: true });
  });

  it('exits 0 and its totals equal what the API reports', async () => {
    const users = Array.from({ length: 6 }, () => randomUUID());
    const [ann, ben, cho, dan, eun, fay] = users;
    let charged = 0;
    const payments = new Map<string, number>();
    const client = async (userId: string) => (await api.tokenFor(userId)).client;
    const charge = async (userId: string, amount: number) => {
      const res = await (await client(userId)).post(`/users/${userId}/charge`, { amount });
      expect(res.status).toBe(200);
      charged += amount;
    };
    const pay = async (c: ApiClient, reservationId: string) => {
      const res = await c.post('/payments', { reservationId });
      if (res.status === 200) payments.set(res.body.paymentId, res.body.amount);
      return res;
    };

    for (const u of [ann, ben, cho, dan, eun]) await charge(u, 400_000);
    await charge(ann, 50_000);
    const first = await client(ann);
    const dates: string[] = (await first.get('/concerts/1/available-dates')).body.availableDates;
    expect(dates.length).toBeGreaterThanOrEqual(2);
    const [day1, day2] = dates;

    // Plain purchases.
    for (const [u, seat] of [
      [ann, 1],
      [ben, 12],
      [cho, 40],
    ] as const) {
      const c = await client(u);
      const hold = await c.post('/reservations', { concertId: 1, date: day1, seatNumber: seat });
      expect(hold.status).toBe(201);
      expect((await pay(c, hold.body.reservationId)).status).toBe(200);
    }

    // A hold cancelled by its owner.
    const danClient = await client(dan);
    const cancelled = await danClient.post('/reservations', { concertId: 1, date: day1, seatNumber: 2 });
    expect((await danClient.delete(`/reservations/${cancelled.body.reservationId}`)).status).toBe(200);

    // Two users race for one seat: exactly one hold wins, and pays.
    const eunClient = await client(eun);
    const race = await Promise.all([
      danClient.post('/reservations', { concertId: 1, date: day2, seatNumber: 5 }),
      eunClient.post('/reservations', { concertId: 1, date: day2, seatNumber: 5 }),
    ]);
    expect(race.map((r) => r.status).sort()).toEqual([201, 409]);
    const winner = race[0].status === 201 ? danClient : eunClient;
    const winnerHold = race.find((r) => r.status === 201)!;

    // The same payment sent four times at once is taken once.
    const repeated = await Promise.all(Array.from({ length: 4 }, () => pay(winner, winnerHold.body.reservationId)));
    expect(repeated.some((r) => r.status === 200)).toBe(true);

    // No money: the payment fails and the hold runs out.
    const fayClient = await client(fay);
    const poor = await fayClient.post('/reservations', { concertId: 1, date: day2, seatNumber: 6 });
    expect((await pay(fayClient, poor.body.reservationId)).status).toBe(402);

    // A hold left to expire, then paid too late.
    const late = await client(ben);
    const lapsing = await late.post('/reservations', { concertId: 1, date: day2, seatNumber: 7 });
    expect(lapsing.status).toBe(201);
    await sleep(HOLD_TTL_SECONDS * 1000 + 1_500);
    expect((await pay(late, lapsing.body.reservationId)).status).toBe(400);

    // What the API reports.
    const balances = new Map<string, number>();
    for (const u of users) {
      const res = await (await client(u)).get(`/users/${u}/balance`);
      expect(res.status).toBe(200);
      balances.set(u, res.body.balance);
    }
    const viewer = await client(randomUUID());
    let seatsTaken = 0;
    for (const date of dates) {
      const res = await viewer.get(`/concerts/1/available-seats?date=${date}`);
      seatsTaken += 50 - res.body.seats.length;
    }
    const paid = [...payments.values()].reduce((a, b) => a + b, 0);

    // Audited live, while the server runs: a consistent snapshot up to the head.
    const live = await runAudit({ dataDir: server.dataDir, maxActive: 20 });
    expect(live.violations).toEqual([]);
    expect(live.ok).toBe(true);
    expect(live.totals.seatsSold).toBe(seatsTaken);
    expect(live.totals.seatsSold).toBe(payments.size);
    expect(live.totals.charged).toBe(charged);
    expect(live.totals.debited - live.totals.refunded).toBe(paid);
    expect(live.totals.salesAmount).toBe(paid);
    for (const u of users) expect([u, live.wallets.get(u)?.balance ?? 0]).toEqual([u, balances.get(u)]);

    // And through the command line, once the server has stopped.
    await server.close({ keepData: true });
    running = false;
    const { io, out } = captureIo();
    const code = await main(['--data-dir', server.dataDir, '--json', '--quiet', '--max-active', '20'], io);
    expect(code).toBe(0);
    const report = JSON.parse(out());
    expect(report.totals).toMatchObject({
      seatsSold: seatsTaken,
      charged,
      balanceTotal: [...balances.values()].reduce((a, b) => a + b, 0),
    });

    // The read models rebuilt from the log agree with what the API served.
    const reader = SqliteEventReader.inDataDir(server.dataDir);
    const rebuilt = await rebuildReadModels(reader, new EmbeddedReadModels());
    reader.close();
    expect(rebuilt.summary.seatsSold).toBe(seatsTaken);
    expect(rebuilt.summary.balances.total).toBe(report.totals.balanceTotal);
  });
});
