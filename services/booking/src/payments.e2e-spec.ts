import { randomUUID } from 'node:crypto';
import { paymentStream, seatStream, walletStream } from '@concert/contracts';
import { ApiClient, EmbeddedServer, startEmbedded, waitFor } from '@concert/testing';
import { activeUser, readStream, storeOf } from './test/e2e';

// A loaded 2-core box boots several apps per file: generous limits (the project's testTimeout is not applied to hooks).
jest.setTimeout(120_000);

const INSUFFICIENT = { statusCode: 402, message: 'Insufficient balance', error: 'Payment Required' };

describe('payments API', () => {
  let server: EmbeddedServer;
  let api: ApiClient;
  let date: string;
  let nextSeat = 1;

  beforeAll(async () => {
    server = await startEmbedded({ env: { QUEUE_MAX_ACTIVE: '1000' } });
    api = new ApiClient(server.url);
    date = (await (await activeUser(api)).client.get('/concerts/1/available-dates')).body.availableDates[0];
  });
  afterAll(() => server.close());

  /** A fresh ACTIVE user holding a fresh seat, charged with `funds`. */
  async function buyer(funds: number) {
    const user = await activeUser(api);
    const seatNumber = nextSeat++;
    const hold = await user.client.post('/reservations', { concertId: 1, date, seatNumber });
    if (hold.status !== 201) throw new Error(`hold: ${hold.status} ${JSON.stringify(hold.body)}`);
    if (funds > 0) await user.client.post(`/users/${user.userId}/charge`, { amount: funds });
    return { ...user, seatNumber, reservation: hold.body as { reservationId: string; price: number } };
  }

  const walletTypes = async (userId: string) => (await readStream(server, walletStream(userId))).map((e) => e.type);
  /** The payment stream once the saga has recorded its end (the buyer is answered as soon as the seat is sold). */
  const settledPaymentTypes = (reservationId: string) =>
    waitFor(async () => {
      const types = (await readStream(server, paymentStream(reservationId))).map((e) => e.type);
      return types.length !== 1 && types;
    });

  it('pays a hold: 200 in the seed shape, the seat is sold, the balance drops and the queue token ends', async () => {
    const b = await buyer(1_000_000);
    const res = await b.client.post('/payments', { reservationId: b.reservation.reservationId });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      paymentId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      reservationId: b.reservation.reservationId,
      userId: b.userId,
      amount: b.reservation.price,
      status: 'COMPLETED',
      paidAt: expect.any(String),
    });
    expect(new Date(res.body.paidAt).toISOString()).toBe(res.body.paidAt);
    expect((await b.client.get(`/users/${b.userId}/balance`)).body.balance).toBe(1_000_000 - b.reservation.price);
    expect((await b.client.get('/queue/status')).body.status).toBe('EXPIRED');
    const seat = await readStream(server, seatStream(1, date, b.seatNumber));
    expect(seat.map((e) => e.type)).toEqual(['SeatHeld', 'SeatSold']);
    expect(seat[1].data).toMatchObject({ paymentId: res.body.paymentId, userId: b.userId, soldAt: res.body.paidAt });
    // The answer comes once the seat is sold; the completion recorded right after says the same.
    expect(await settledPaymentTypes(b.reservation.reservationId)).toEqual(['PaymentStarted', 'PaymentCompleted']);
    const [, completed] = await readStream(server, paymentStream(b.reservation.reservationId));
    expect(completed.data).toEqual({ ...res.body, status: undefined });
    const { client } = await api.tokenFor(b.userId);
    expect((await client.get(`/reservations/${b.reservation.reservationId}`)).body.status).toBe('CONFIRMED');
  });

  it('queues the sale and the slot release with the debit: the buyer is answered after one commit', async () => {
    const b = await buyer(1_000_000);
    // Every append of the process, as made and as answered, in order.
    const store = storeOf(server);
    const log: string[] = [];
    const positions = new Map<string, number>();
    const append = store.append.bind(store);
    store.append = async (streamId, events, expected, options) => {
      const type = events.map((e) => e.type).join('+');
      log.push(`made ${type}`);
      const result = await append(streamId, events, expected, options).catch((err: unknown) => {
        log.push(`refused ${type}`);
        throw err;
      });
      log.push(`stored ${type}`);
      positions.set(type, result.position);
      return result;
    };
    try {
      const res = await b.client.post('/payments', { reservationId: b.reservation.reservationId });
      expect(res.status).toBe(200);
    } finally {
      store.append = append;
    }
    const debitStored = log.indexOf('stored WalletDebited');
    expect(debitStored).toBeGreaterThan(-1);
    // Each made once, none refused (no second try after the debit), and made before the debit's commit
    // answered: all four went to the writer in one commit.
    expect(log.filter((entry) => entry.startsWith('refused'))).toEqual([]);
    for (const type of ['PaymentStarted', 'WalletDebited', 'SeatSold', 'TokenExpired']) {
      expect(log.filter((entry) => entry === `made ${type}`)).toHaveLength(1);
      expect(log.indexOf(`made ${type}`)).toBeLessThan(debitStored);
    }
    expect(positions.get('SeatSold')).toBeGreaterThan(positions.get('WalletDebited')!);
    expect(positions.get('TokenExpired')).toBeGreaterThan(positions.get('WalletDebited')!);
    expect(positions.get('WalletDebited')).toBeGreaterThan(positions.get('PaymentStarted')!);
    expect((await b.client.get('/queue/status')).body.status).toBe('EXPIRED');
    expect(await walletTypes(b.userId)).toEqual(['WalletCharged', 'WalletDebited']);
  });

  it('lets a buyer whose reply was lost hear it again with the token the payment ended, and nothing more', async () => {
    const b = await buyer(1_000_000);
    const second = await b.client.post('/reservations', { concertId: 1, date, seatNumber: nextSeat++ });
    expect(second.status).toBe(201);
    const key = { 'Idempotency-Key': `lost-${randomUUID()}` };
    const paid = await b.client.post('/payments', { reservationId: b.reservation.reservationId }, key);
    expect(paid.status).toBe(200);
    expect((await b.client.get('/queue/status')).body.status).toBe('EXPIRED');

    const again = await b.client.post('/payments', { reservationId: b.reservation.reservationId }, key);
    expect(again).toMatchObject({ status: 200, body: paid.body });
    const withoutKey = await b.client.post('/payments', { reservationId: b.reservation.reservationId });
    expect(withoutKey).toMatchObject({ status: 200, body: paid.body });
    expect((await b.client.get(`/reservations/${b.reservation.reservationId}`)).body.status).toBe('CONFIRMED');

    const notActive = { statusCode: 403, message: 'Queue token is not active', error: 'Forbidden' };
    expect((await b.client.post('/payments', { reservationId: second.body.reservationId })).body).toEqual(notActive);
    expect((await b.client.post('/reservations', { concertId: 1, date, seatNumber: nextSeat++ })).body).toEqual(notActive);
    expect((await b.client.get('/concerts/1/available-dates')).body).toEqual(notActive);
    expect(await walletTypes(b.userId)).toEqual(['WalletCharged', 'WalletDebited']);
  });

  it('answers 402 with nothing debited; the hold stays, and after a charge the retry pays', async () => {
    const b = await buyer(1_000);
    const poor = await b.client.post('/payments', { reservationId: b.reservation.reservationId });
    expect(poor.status).toBe(402);
    expect(poor.body).toEqual(INSUFFICIENT);
    expect(await walletTypes(b.userId)).toEqual(['WalletCharged']);
    expect((await b.client.get(`/users/${b.userId}/balance`)).body.balance).toBe(1_000);
    expect((await b.client.get(`/reservations/${b.reservation.reservationId}`)).body.status).toBe('TEMPORARILY_RESERVED');
    // The sale and the slot's release queued with the refused debit were refused with it.
    expect((await readStream(server, seatStream(1, date, b.seatNumber))).map((e) => e.type)).toEqual(['SeatHeld']);
    expect((await b.client.get('/queue/status')).body.status).toBe('ACTIVE');
    const seats = (await b.client.get(`/concerts/1/available-seats?date=${date}`)).body.seats;
    expect(seats.map((s: { seatNumber: number }) => s.seatNumber)).not.toContain(b.seatNumber);

    await b.client.post(`/users/${b.userId}/charge`, { amount: b.reservation.price });
    const paid = await b.client.post('/payments', { reservationId: b.reservation.reservationId });
    expect(paid.status).toBe(200);
    expect((await b.client.get(`/users/${b.userId}/balance`)).body.balance).toBe(1_000);
    expect(await walletTypes(b.userId)).toEqual(['WalletCharged', 'WalletCharged', 'WalletDebited']);
  });

  it('answers 400 for a reservationId that is not a UUID and 404 for an unknown one', async () => {
    const { client } = await activeUser(api);
    for (const body of [{}, { reservationId: 'abc' }, { reservationId: 42 }, { reservationId: null }]) {
      const res = await client.post('/payments', body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    }
    const unknown = await client.post('/payments', { reservationId: randomUUID() });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
  });

  it("never pays someone else's reservation", async () => {
    const owner = await buyer(0);
    const thief = await activeUser(api);
    await thief.client.post(`/users/${thief.userId}/charge`, { amount: 1_000_000 });
    for (const headers of [{}, { 'Idempotency-Key': 'steal' }] as Record<string, string>[]) {
      const res = await thief.client.post('/payments', { reservationId: owner.reservation.reservationId }, headers);
      expect([403, 404]).toContain(res.status);
    }
    expect(await walletTypes(thief.userId)).toEqual(['WalletCharged']);
    expect(await readStream(server, paymentStream(owner.reservation.reservationId))).toEqual([]);
    expect((await owner.client.get(`/reservations/${owner.reservation.reservationId}`)).body.status).toBe('TEMPORARILY_RESERVED');
  });

  it('debits once for 10 concurrent identical payments, and every 200 carries the same paymentId', async () => {
    const b = await buyer(1_000_000);
    const results = await Promise.all(
      Array.from({ length: 10 }, () => b.client.post('/payments', { reservationId: b.reservation.reservationId })),
    );
    const ok = results.filter((r) => r.status === 200);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of results) expect([200, 403]).toContain(r.status);
    expect(new Set(ok.map((r) => r.body.paymentId)).size).toBe(1);
    expect(await walletTypes(b.userId)).toEqual(['WalletCharged', 'WalletDebited']);
    expect(await settledPaymentTypes(b.reservation.reservationId)).toEqual(['PaymentStarted', 'PaymentCompleted']);
  });

  it('replays the first answer for a repeated Idempotency-Key and never pays twice', async () => {
    const b = await buyer(1_000_000);
    const key = { 'Idempotency-Key': `pay-${randomUUID()}` };
    const burst = await Promise.all(
      Array.from({ length: 5 }, () => b.client.post('/payments', { reservationId: b.reservation.reservationId }, key)),
    );
    const first = burst.find((r) => r.status === 200)!;
    expect(first).toBeDefined();
    for (const r of burst.filter((x) => x.status === 200)) expect(r.body).toEqual(first.body);
    // Paying ended the queue admission; the replay comes with a fresh token.
    const { client } = await api.tokenFor(b.userId);
    const replay = await client.post('/payments', { reservationId: b.reservation.reservationId }, key);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);
    expect(await walletTypes(b.userId)).toEqual(['WalletCharged', 'WalletDebited']);
  });

  it('lets a buyer who got 402 under an Idempotency-Key charge and retry with the same key', async () => {
    const b = await buyer(0);
    const key = { 'Idempotency-Key': `pay-${randomUUID()}` };
    expect((await b.client.post('/payments', { reservationId: b.reservation.reservationId }, key)).status).toBe(402);
    await b.client.post(`/users/${b.userId}/charge`, { amount: b.reservation.price });
    const paid = await b.client.post('/payments', { reservationId: b.reservation.reservationId }, key);
    expect(paid.status).toBe(200);
    expect(await walletTypes(b.userId)).toEqual(['WalletCharged', 'WalletDebited']);
  });

  it('refuses an Idempotency-Key reused for another reservation without paying it, even when both arrive at once', async () => {
    const user = await activeUser(api);
    const holds = [];
    for (let i = 0; i < 2; i++) {
      holds.push((await user.client.post('/reservations', { concertId: 1, date, seatNumber: nextSeat++ })).body);
    }
    await user.client.post(`/users/${user.userId}/charge`, { amount: 1_000_000 });
    const key = { 'Idempotency-Key': `pay-${randomUUID()}` };
    const [a, b] = await Promise.all(holds.map((h) => user.client.post('/payments', { reservationId: h.reservationId }, key)));
    expect([a.status, b.status].sort()).toEqual([200, 422]);
    const paid = a.status === 200 ? holds[0] : holds[1];
    const refused = a.status === 200 ? holds[1] : holds[0];
    expect(await walletTypes(user.userId)).toEqual(['WalletCharged', 'WalletDebited']);
    expect(await readStream(server, paymentStream(refused.reservationId))).toEqual([]);
    expect(await settledPaymentTypes(paid.reservationId)).toEqual(['PaymentStarted', 'PaymentCompleted']);
  });
});
