import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paymentStream, seatStream, walletStream } from '@concert/contracts';
import { SqliteEventStore } from '@concert/event-store';
import { Clock } from '@concert/platform';
import { ApiClient, EmbeddedServer, startEmbedded } from '@concert/testing';
import { PaymentSaga } from './application/payment.saga';
import { afterEventOfType, CrashingStore, CrashPoint } from './test/crashing-store';
import { activeUser, readStream } from './test/e2e';

// A loaded 2-core box boots two apps per test: generous limits (the project's testTimeout is not applied to hooks).
jest.setTimeout(120_000);

/** The wall clock, shifted by `offsetMs`: lets a hold lapse while the "process" is down. */
class ShiftedClock implements Clock {
  offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
}

const FUNDS = 1_000_000;

/**
 * Where the store keeps the order of appends (the embedded SQLite store) the saga asks for the debit in the
 * tick it queues PaymentStarted; where another writer may be there, only after PaymentStarted is stored.
 * Every case runs both ways.
 */
let soleWriter = true;

interface Scene {
  dataDir: string;
  clock: ShiftedClock;
  server?: EmbeddedServer;
  userId: string;
  token: string;
  reservationId: string;
  price: number;
  date: string;
  seatNumber: number;
}

/**
 * Boots, lets a charged user hold seat 9, then pays with the process dying right after `crashPoint`.
 * `payAfterMs`: how long after the hold the payment comes (test clock).
 */
async function payAndCrash(crashPoint: CrashPoint, payAfterMs = 0): Promise<Scene & { paid: { status: number; body: unknown } }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'concert-saga-'));
  const clock = new ShiftedClock();
  const store = new CrashingStore(new SqliteEventStore(join(dataDir, 'events.db')), { soleWriter });
  const server = await startEmbedded({ dataDir, clock, store });
  try {
    const api = new ApiClient(server.url);
    const { userId, client, token } = await activeUser(api);
    const date = (await client.get('/concerts/1/available-dates')).body.availableDates[0];
    const hold = await client.post('/reservations', { concertId: 1, date, seatNumber: 9 });
    await client.post(`/users/${userId}/charge`, { amount: FUNDS });
    store.crashAfter(crashPoint);
    clock.offsetMs = payAfterMs;
    const paid = await client.post('/payments', { reservationId: hold.body.reservationId });
    // Once the seat is sold and the slot released the buyer is answered, and the saga goes on to record its
    // completion: a crash point after the answer is reached a moment later.
    for (const deadline = Date.now() + 10_000; !store.dead && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(store.dead).toBe(true);
    return {
      dataDir,
      clock,
      userId,
      token,
      reservationId: hold.body.reservationId,
      price: hold.body.price,
      date,
      seatNumber: 9,
      paid,
    };
  } finally {
    await server.close();
  }
}

async function restart(scene: Scene): Promise<EmbeddedServer> {
  scene.server = await startEmbedded({ dataDir: scene.dataDir, clock: scene.clock });
  return scene.server;
}

async function types(server: EmbeddedServer, stream: string): Promise<string[]> {
  return (await readStream(server, stream)).map((e) => e.type);
}

describe.each([
  ['the debit asked for with PaymentStarted (sole writer)', true],
  ['the debit asked for once PaymentStarted is stored', false],
])('payment saga: crash recovery, %s', (_label, sole) => {
  beforeAll(() => {
    soleWriter = sole;
  });

  let scene: (Scene & { paid?: { status: number; body: unknown } }) | undefined;

  afterEach(async () => {
    await scene?.server?.close();
    if (scene) rmSync(scene.dataDir, { recursive: true, force: true });
    scene = undefined;
  });

  /** After a restart the payment is complete at once: one debit, the seat sold to the payer, the queue slot released. */
  async function expectCompletedAfterRestart(s: Scene & { paid?: { status: number; body: unknown } }): Promise<void> {
    const server = await restart(s);
    expect(await types(server, paymentStream(s.reservationId))).toEqual(['PaymentStarted', 'PaymentCompleted']);
    expect(await types(server, walletStream(s.userId))).toEqual(['WalletCharged', 'WalletDebited']);
    const seat = await readStream(server, seatStream(1, s.date, s.seatNumber));
    expect(seat.map((e) => e.type)).toEqual(['SeatHeld', 'SeatSold']);
    const client = new ApiClient(server.url, s.token);
    expect((await client.get(`/users/${s.userId}/balance`)).body.balance).toBe(FUNDS - s.price);
    expect((await client.get('/queue/status')).body.status).toBe('EXPIRED');
    const { client: fresh } = await new ApiClient(server.url).tokenFor(s.userId);
    const replay = await fresh.post('/payments', { reservationId: s.reservationId });
    expect(replay.status).toBe(200);
    expect(replay.body).toMatchObject({ reservationId: s.reservationId, userId: s.userId, amount: s.price, status: 'COMPLETED' });
    // A buyer answered before the crash hears the same answer again: same payment id, same paidAt.
    if (s.paid?.status === 200) expect(replay.body).toEqual(s.paid.body);
    expect(await types(server, walletStream(s.userId))).toEqual(['WalletCharged', 'WalletDebited']);
  }

  // The answer is 200 once the sale and the slot's release are on disk (a crash after that only delays the
  // completion's record); a crash before that is an error to the buyer, whose retry after the restart pays.
  it.each([
    // As the embedded store runs it, the debit goes in PaymentStarted's commit: the crash comes after both.
    ['PaymentStarted (before the debit, or with it)', 'PaymentStarted', 500],
    // On the sole writer the seat's sale and the slot's release go in the debit's commit too: the crash comes after all.
    ['WalletDebited (before the seat is confirmed, or with it)', 'WalletDebited', 500],
    ['SeatSold (before the payment is completed)', 'SeatSold', 500],
    ['TokenExpired (the queue slot released, payment not yet completed)', 'TokenExpired', 200],
    ['PaymentCompleted', 'PaymentCompleted', 200],
  ])('a crash right after %s is resumed at boot to a completed payment', async (_label, type, answered) => {
    const crashed = await payAndCrash(afterEventOfType(type));
    scene = crashed;
    expect(crashed.paid.status).toBe(answered);
    await expectCompletedAfterRestart(crashed);
  });

  /** A live server on a crashing store, and a charged user holding `seatNumber` (the scene cleaned up after the test). */
  async function liveScene(seatNumber: number) {
    const dataDir = mkdtempSync(join(tmpdir(), 'concert-saga-'));
    const clock = new ShiftedClock();
    const store = new CrashingStore(new SqliteEventStore(join(dataDir, 'events.db')), { soleWriter });
    const server = await startEmbedded({ dataDir, clock, store });
    scene = { dataDir, clock, server } as Scene;
    const { userId, client, token } = await activeUser(new ApiClient(server.url));
    const date = (await client.get('/concerts/1/available-dates')).body.availableDates[0];
    const hold = await client.post('/reservations', { concertId: 1, date, seatNumber });
    await client.post(`/users/${userId}/charge`, { amount: FUNDS });
    return { store, clock, server, userId, client, token, date, hold };
  }

  // A hold this close to its deadline is confirmed only once the debit is stored (on the sole writer too, the
  // sale does not go in the debit's commit): a crash or a lapse can come between them, and the saga refunds.
  const CLOSE_TO_DEADLINE_MS = 292_000;

  it('refunds a debit whose hold lapsed while the process was down, and the seat is free again', async () => {
    scene = await payAndCrash(afterEventOfType('WalletDebited'), CLOSE_TO_DEADLINE_MS);
    scene.clock.offsetMs = 301_000;
    const server = await restart(scene);
    expect(await types(server, paymentStream(scene.reservationId))).toEqual(['PaymentStarted', 'PaymentRefunded']);
    expect(await types(server, walletStream(scene.userId))).toEqual(['WalletCharged', 'WalletDebited', 'WalletRefunded']);
    const client = new ApiClient(server.url, scene.token);
    expect((await client.get(`/users/${scene.userId}/balance`)).body.balance).toBe(FUNDS);
    const again = await client.post('/payments', { reservationId: scene.reservationId });
    expect(again.body).toEqual({ statusCode: 400, message: 'Reservation has expired', error: 'Bad Request' });
    const seats = (await client.get(`/concerts/1/available-seats?date=${scene.date}`)).body.seats;
    expect(seats.map((s: { seatNumber: number }) => s.seatNumber)).toContain(scene.seatNumber);
    expect((await client.get('/queue/status')).body.status).toBe('ACTIVE');
  });

  it('refunds the debit and answers 400 when the hold lapses between the debit and the seat confirmation', async () => {
    const { store, clock, server, userId, client, date, hold } = await liveScene(12);
    store.tapAfter(afterEventOfType('WalletDebited'), () => (clock.offsetMs = 301_000));
    clock.offsetMs = CLOSE_TO_DEADLINE_MS;

    const paid = await client.post('/payments', { reservationId: hold.body.reservationId });
    expect(paid.status).toBe(400);
    expect(paid.body).toEqual({ statusCode: 400, message: 'Reservation has expired', error: 'Bad Request' });
    expect(await types(server, walletStream(userId))).toEqual(['WalletCharged', 'WalletDebited', 'WalletRefunded']);
    expect(await types(server, paymentStream(hold.body.reservationId))).toEqual(['PaymentStarted', 'PaymentRefunded']);
    expect((await client.get(`/users/${userId}/balance`)).body.balance).toBe(FUNDS);
    expect(await types(server, seatStream(1, date, 12))).not.toContain('SeatSold');
    expect((await client.get('/queue/status')).body.status).toBe('ACTIVE');
  });

  it('a sale that failed to commit while the debit and the slot release were stored is completed by recovery', async () => {
    const { store, server, userId, client, token, date, hold } = await liveScene(13);
    store.failOnce(afterEventOfType('SeatSold'));

    expect((await client.post('/payments', { reservationId: hold.body.reservationId })).status).toBe(500);
    expect(await types(server, walletStream(userId))).toEqual(['WalletCharged', 'WalletDebited']);
    expect(await types(server, seatStream(1, date, 13))).toEqual(['SeatHeld']);
    expect(await types(server, paymentStream(hold.body.reservationId))).toEqual(['PaymentStarted']);

    expect(await server.app.get(PaymentSaga).recover(0)).toBe(1);
    expect(await types(server, paymentStream(hold.body.reservationId))).toEqual(['PaymentStarted', 'PaymentCompleted']);
    expect(await types(server, seatStream(1, date, 13))).toEqual(['SeatHeld', 'SeatSold']);
    expect(await types(server, walletStream(userId))).toEqual(['WalletCharged', 'WalletDebited']);
    expect((await new ApiClient(server.url, token).get('/queue/status')).body.status).toBe('EXPIRED');
  });

  it('PaymentSaga.recover resumes a started payment in a live process', async () => {
    const { store, server, userId, client, hold } = await liveScene(11);
    store.crashAfter(afterEventOfType('PaymentStarted'));
    expect((await client.post('/payments', { reservationId: hold.body.reservationId })).status).toBe(500);
    store.revive();

    const saga = server.app.get(PaymentSaga);
    expect(await saga.recover(0)).toBe(1);
    expect(await types(server, paymentStream(hold.body.reservationId))).toEqual(['PaymentStarted', 'PaymentCompleted']);
    expect(await types(server, walletStream(userId))).toEqual(['WalletCharged', 'WalletDebited']);
    expect(await saga.recover(0)).toBe(0);
  });
});
