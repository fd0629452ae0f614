import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { seatStream, walletStream } from '@concert/contracts';
import { ApiClient, EmbeddedServer, startEmbedded, waitFor } from '@concert/testing';
import { activeUser, readStream, sleep } from './test/e2e';

// A loaded 2-core box boots several apps per file: generous limits (the project's testTimeout is not applied to hooks).
jest.setTimeout(120_000);

const RESERVED = { statusCode: 409, message: 'Seat is already reserved', error: 'Conflict' };
const EXPIRED = { statusCode: 400, message: 'Reservation has expired', error: 'Bad Request' };

async function firstDate(client: ApiClient): Promise<string> {
  return (await client.get('/concerts/1/available-dates')).body.availableDates[0];
}

async function freeSeats(client: ApiClient, date: string): Promise<number[]> {
  return (await client.get(`/concerts/1/available-seats?date=${date}`)).body.seats.map(
    (s: { seatNumber: number }) => s.seatNumber,
  );
}

describe('reservations API', () => {
  let server: EmbeddedServer;
  let api: ApiClient;
  let date: string;

  beforeAll(async () => {
    server = await startEmbedded();
    api = new ApiClient(server.url);
    date = await firstDate((await activeUser(api)).client);
  });
  afterAll(() => server.close());

  it('holds a seat for HOLD_TTL_SECONDS (default 300) and answers 201 in the seed shape', async () => {
    const { client } = await activeUser(api);
    const seats = (await client.get(`/concerts/1/available-seats?date=${date}`)).body.seats;
    const seat = seats.find((s: { seatNumber: number }) => s.seatNumber === 3);
    const before = Date.now();
    const res = await client.post('/reservations', { concertId: 1, date, seatNumber: 3 });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      reservationId: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
      concertId: 1,
      date,
      seatNumber: 3,
      status: 'TEMPORARILY_RESERVED',
      expiresAt: expect.any(String),
      price: seat.price,
    });
    const ttl = Date.parse(res.body.expiresAt) - before;
    expect(ttl).toBeGreaterThan(295_000);
    expect(ttl).toBeLessThanOrEqual(305_000);
    expect(await freeSeats(client, date)).not.toContain(3);
  });

  it('answers 409 "Seat is already reserved" to anybody else, and to the holder', async () => {
    const holder = await activeUser(api);
    const other = await activeUser(api);
    expect((await holder.client.post('/reservations', { concertId: 1, date, seatNumber: 4 })).status).toBe(201);
    for (const client of [other.client, holder.client]) {
      const res = await client.post('/reservations', { concertId: 1, date, seatNumber: 4 });
      expect(res.status).toBe(409);
      expect(res.body).toEqual(RESERVED);
    }
  });

  it('answers 404 for a seat, date or concert that does not exist', async () => {
    const { client } = await activeUser(api);
    const seat = await client.post('/reservations', { concertId: 1, date, seatNumber: 51 });
    expect(seat.status).toBe(404);
    expect(seat.body).toMatchObject({ statusCode: 404, error: 'Not Found' });
    expect((await client.post('/reservations', { concertId: 1, date: '2099-01-01', seatNumber: 1 })).status).toBe(404);
    const concert = await client.post('/reservations', { concertId: 999, date, seatNumber: 1 });
    expect(concert.body).toEqual({ statusCode: 404, message: 'Concert not found', error: 'Not Found' });
  });

  it('answers 400 for bad input', async () => {
    const { client } = await activeUser(api);
    for (const body of [
      {},
      { concertId: '1', date, seatNumber: 1 },
      { concertId: 1, date, seatNumber: '1' },
      { concertId: 1, date, seatNumber: 0 },
      { concertId: 1, date, seatNumber: 1.5 },
      { concertId: -1, date, seatNumber: 1 },
      { concertId: 1, date: '2026-02-30', seatNumber: 1 },
      { concertId: 1, date: 20261224, seatNumber: 1 },
      { concertId: 1, seatNumber: 1 },
      [1, date, 1],
    ]) {
      const res = await client.post('/reservations', body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    }
    expect((await client.request('POST', '/reservations', '{"concertId":')).status).toBe(400);
  });

  it('shows a reservation to its owner only', async () => {
    const owner = await activeUser(api);
    const other = await activeUser(api);
    const held = await owner.client.post('/reservations', { concertId: 1, date, seatNumber: 5 });
    const mine = await owner.client.get(`/reservations/${held.body.reservationId}`);
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual(held.body);
    expect([403, 404]).toContain((await other.client.get(`/reservations/${held.body.reservationId}`)).status);
    expect((await owner.client.get(`/reservations/${randomUUID()}`)).status).toBe(404);
    expect((await owner.client.get('/reservations/not-a-uuid')).status).toBe(400);
  });

  it('lets only the owner cancel, and a cancel frees the seat at once', async () => {
    const owner = await activeUser(api);
    const other = await activeUser(api);
    const held = await owner.client.post('/reservations', { concertId: 1, date, seatNumber: 6 });
    const id = held.body.reservationId;

    expect([403, 404]).toContain((await other.client.delete(`/reservations/${id}`)).status);
    expect(await freeSeats(owner.client, date)).not.toContain(6);

    const cancelled = await owner.client.delete(`/reservations/${id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toEqual({ ...held.body, status: 'CANCELLED' });
    expect(await freeSeats(owner.client, date)).toContain(6);
    expect((await owner.client.get(`/reservations/${id}`)).body.status).toBe('CANCELLED');
    expect((await owner.client.delete(`/reservations/${id}`)).body.status).toBe('CANCELLED');

    const next = await other.client.post('/reservations', { concertId: 1, date, seatNumber: 6 });
    expect(next.status).toBe(201);
    expect((await owner.client.delete(`/reservations/${id}`)).body.status).toBe('CANCELLED');
    expect((await owner.client.get(`/reservations/${next.body.reservationId}`)).status).toBe(404);

    const paid = await owner.client.post('/payments', { reservationId: id });
    expect(paid.status).toBe(409);
    expect((await readStream(server, walletStream(owner.userId))).length).toBe(0);
  });

  it('does not cancel a paid reservation', async () => {
    const buyer = await activeUser(api);
    const held = await buyer.client.post('/reservations', { concertId: 1, date, seatNumber: 8 });
    await buyer.client.post(`/users/${buyer.userId}/charge`, { amount: held.body.price });
    expect((await buyer.client.post('/payments', { reservationId: held.body.reservationId })).status).toBe(200);
    // Paying ends the queue admission: a fresh token is needed for the next request.
    const { client } = await api.tokenFor(buyer.userId);
    const res = await client.delete(`/reservations/${held.body.reservationId}`);
    expect(res.status).toBe(409);
    expect((await client.get(`/reservations/${held.body.reservationId}`)).body.status).toBe('CONFIRMED');
    expect(await freeSeats(client, date)).not.toContain(8);
  });
});

describe('100 concurrent holds on one seat', () => {
  let server: EmbeddedServer;
  afterAll(() => server?.close());

  it('gives one 201 and 99 × 409', async () => {
    server = await startEmbedded({ env: { QUEUE_MAX_ACTIVE: '1000' } });
    const api = new ApiClient(server.url);
    const users = await Promise.all(Array.from({ length: 100 }, () => activeUser(api)));
    const date = await firstDate(users[0].client);
    const results = await Promise.all(users.map((u) => u.client.post('/reservations', { concertId: 1, date, seatNumber: 17 })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(99);
    for (const r of results.filter((x) => x.status === 409)) expect(r.body).toEqual(RESERVED);
    const held = (await readStream(server, seatStream(1, date, 17))).filter((e) => e.type === 'SeatHeld');
    expect(held).toHaveLength(1);
  });
});

describe('hold expiry (HOLD_TTL_SECONDS=4)', () => {
  let server: EmbeddedServer;
  let api: ApiClient;
  let date: string;

  beforeAll(async () => {
    server = await startEmbedded({ env: { HOLD_TTL_SECONDS: '4' } });
    api = new ApiClient(server.url);
    date = await firstDate((await activeUser(api)).client);
  });
  afterAll(() => server.close());

  it('frees the seat for every read and write after 4 s; paying then answers 400 and moves no money', async () => {
    const holder = await activeUser(api);
    const other = await activeUser(api);
    const held = await holder.client.post('/reservations', { concertId: 1, date, seatNumber: 21 });
    expect(held.status).toBe(201);
    expect(Date.parse(held.body.expiresAt) - Date.now()).toBeLessThanOrEqual(4_000);
    await holder.client.post(`/users/${holder.userId}/charge`, { amount: 500_000 });
    expect((await other.client.post('/reservations', { concertId: 1, date, seatNumber: 21 })).status).toBe(409);

    await sleep(Math.max(0, Date.parse(held.body.expiresAt) - Date.now()) + 100);
    expect(await freeSeats(other.client, date)).toContain(21);
    expect((await holder.client.get(`/reservations/${held.body.reservationId}`)).body.status).toBe('EXPIRED');
    const paid = await holder.client.post('/payments', { reservationId: held.body.reservationId });
    expect(paid.status).toBe(400);
    expect(paid.body).toEqual(EXPIRED);
    expect((await holder.client.get(`/users/${holder.userId}/balance`)).body.balance).toBe(500_000);
    expect((await readStream(server, walletStream(holder.userId))).map((e) => e.type)).toEqual(['WalletCharged']);

    const cancel = await holder.client.delete(`/reservations/${held.body.reservationId}`);
    expect(cancel.status).toBe(400);
    expect(cancel.body).toEqual(EXPIRED);

    const taken = await other.client.post('/reservations', { concertId: 1, date, seatNumber: 21 });
    expect(taken.status).toBe(201);
    expect((await holder.client.get(`/reservations/${held.body.reservationId}`)).body.status).toBe('EXPIRED');
  });

  it('records SeatHoldExpired for a lapsed hold, and answers expired consistently afterwards', async () => {
    const holder = await activeUser(api);
    const held = await holder.client.post('/reservations', { concertId: 1, date, seatNumber: 22 });
    const stream = seatStream(1, date, 22);
    const events = await waitFor(
      async () => {
        const e = await readStream(server, stream);
        return e.some((x) => x.type === 'SeatHoldExpired') && e;
      },
      20_000,
      200,
    );
    expect(events.map((e) => e.type)).toEqual(['SeatHeld', 'SeatHoldExpired']);
    expect(events[1].data).toMatchObject({
      reservationId: held.body.reservationId,
      userId: holder.userId,
      expiresAt: held.body.expiresAt,
    });
    expect((await holder.client.get(`/reservations/${held.body.reservationId}`)).body.status).toBe('EXPIRED');
    const cancel = await holder.client.delete(`/reservations/${held.body.reservationId}`);
    expect(cancel.body).toEqual(EXPIRED);
    expect((await holder.client.post('/payments', { reservationId: held.body.reservationId })).body).toEqual(EXPIRED);
  });
});

describe('hold expiry across a restart', () => {
  it('records the expiry of a hold that lapsed while the server was down', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'concert-expiry-'));
    let server = await startEmbedded({ env: { HOLD_TTL_SECONDS: '2' }, dataDir });
    let date: string;
    let held: { body: { expiresAt: string } };
    try {
      const holder = await activeUser(new ApiClient(server.url));
      date = await firstDate(holder.client);
      held = await holder.client.post('/reservations', { concertId: 1, date, seatNumber: 30 });
      expect(held.body.expiresAt).toBeDefined();
    } finally {
      await server.close();
    }

    await sleep(Math.max(0, Date.parse(held.body.expiresAt) - Date.now()) + 200);
    server = await startEmbedded({ env: { HOLD_TTL_SECONDS: '2' }, dataDir });
    try {
      const events = await waitFor(
        async () => {
          const e = await readStream(server, seatStream(1, date, 30));
          return e.some((x) => x.type === 'SeatHoldExpired') && e;
        },
        20_000,
        200,
      );
      expect(events.map((e) => e.type)).toEqual(['SeatHeld', 'SeatHoldExpired']);
      const again = await activeUser(new ApiClient(server.url));
      expect(await freeSeats(again.client, date)).toContain(30);
    } finally {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
