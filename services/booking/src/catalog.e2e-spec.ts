import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteEventStore } from '@concert/event-store';
import { ApiClient, EmbeddedServer, startEmbedded } from '@concert/testing';
import { afterEventOfType, CrashingStore } from './test/crashing-store';
import { activeUser, ADMIN_KEY, createConcert, dayFromToday } from './test/e2e';

// A loaded 2-core box boots several apps per file: generous limits (the project's testTimeout is not applied to hooks).
jest.setTimeout(120_000);

const NOT_FOUND = { statusCode: 404, message: 'Concert not found', error: 'Not Found' };

describe('catalog API', () => {
  describe('with the demo catalog', () => {
    let server: EmbeddedServer;
    let client: ApiClient;

    beforeAll(async () => {
      server = await startEmbedded();
      ({ client } = await activeUser(new ApiClient(server.url)));
    });
    afterAll(() => server.close());

    it('seeds concert 1 with at least 3 future dates of seats 1–50, priced by tier in whole KRW', async () => {
      const dates = await client.get('/concerts/1/available-dates');
      expect(dates.status).toBe(200);
      expect(dates.body.concertId).toBe(1);
      const today = new Date().toISOString().slice(0, 10);
      expect(dates.body.availableDates.length).toBeGreaterThanOrEqual(3);
      for (const date of dates.body.availableDates) {
        expect(date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
        expect(date > today).toBe(true);
        const seats = await client.get(`/concerts/1/available-seats?date=${date}`);
        expect(seats.status).toBe(200);
        expect(seats.body).toMatchObject({ concertId: 1, date });
        expect(seats.body.seats.map((s: { seatNumber: number }) => s.seatNumber)).toEqual(
          Array.from({ length: 50 }, (_, i) => i + 1),
        );
        for (const seat of seats.body.seats) expect(Number.isInteger(seat.price) && seat.price > 0).toBe(true);
        expect(new Set(seats.body.seats.map((s: { price: number }) => s.price)).size).toBeGreaterThan(1);
      }
      expect([...dates.body.availableDates].sort()).toEqual(dates.body.availableDates);
    });

    it('answers 404 "Concert not found" for an unknown concert', async () => {
      for (const path of ['/concerts/999/available-dates', `/concerts/999/available-seats?date=${dayFromToday(7)}`]) {
        const res = await client.get(path);
        expect(res.status).toBe(404);
        expect(res.body).toEqual(NOT_FOUND);
      }
    });

    it('answers 400 for ids that are not positive integers and dates that are not real calendar dates', async () => {
      for (const id of ['0', '-1', 'abc', '1.5', '01', '1e3', '99999999999999999999']) {
        expect((await client.get(`/concerts/${id}/available-dates`)).status).toBe(400);
        expect((await client.get(`/concerts/${id}/available-seats?date=${dayFromToday(7)}`)).status).toBe(400);
      }
      for (const date of ['2026-02-30', '2026-13-01', '2026-1-1', '20260101', 'tomorrow', '', '2026-02-29']) {
        const res = await client.get(`/concerts/1/available-seats?date=${encodeURIComponent(date)}`);
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
      }
      expect((await client.get('/concerts/1/available-seats')).status).toBe(400);
    });

    it('needs an ACTIVE queue token', async () => {
      const anonymous = new ApiClient(server.url);
      expect((await anonymous.get('/concerts/1/available-dates')).status).toBe(401);
    });

    it('keeps the admin API off when ADMIN_API_KEY is unset', async () => {
      const res = await client.post('/admin/concerts', { concertId: 5, title: 'Nope' }, { 'X-Admin-Key': ADMIN_KEY });
      expect(res.status).toBe(404);
      expect((await client.get('/concerts/5/available-dates')).status).toBe(404);
    });
  });

  describe('with the admin API and no demo seed', () => {
    let server: EmbeddedServer;
    let api: ApiClient;
    let client: ApiClient;

    beforeAll(async () => {
      server = await startEmbedded({ env: { SEED_DEMO: 'false', ADMIN_API_KEY: ADMIN_KEY } });
      api = new ApiClient(server.url);
      ({ client } = await activeUser(api));
    });
    afterAll(() => server.close());

    it('does not seed when SEED_DEMO=false', async () => {
      expect((await client.get('/concerts/1/available-dates')).body).toEqual(NOT_FOUND);
    });

    it('guards the admin API with X-Admin-Key', async () => {
      expect((await api.post('/admin/concerts', { concertId: 3, title: 'X' })).status).toBe(401);
      expect(
        (await api.post('/admin/concerts', { concertId: 3, title: 'X' }, { 'X-Admin-Key': 'wrong-key-wrong-key' })).status,
      ).toBe(401);
      expect((await client.get('/concerts/3/available-dates')).status).toBe(404);
    });

    it('creates concerts, schedules and seats, and lists only future dates with a free seat', async () => {
      const [past, soon, later] = [dayFromToday(-3), dayFromToday(10), dayFromToday(20)];
      await createConcert(api, 2, [later, past, soon], 2, 55_000);
      const dates = await client.get('/concerts/2/available-dates');
      expect(dates.body).toEqual({ concertId: 2, availableDates: [soon, later] });
      const seats = await client.get(`/concerts/2/available-seats?date=${soon}`);
      expect(seats.body).toEqual({
        concertId: 2,
        date: soon,
        seats: [
          { seatNumber: 1, price: 55_000 },
          { seatNumber: 2, price: 55_000 },
        ],
      });
      expect((await client.get(`/concerts/2/available-seats?date=${past}`)).body.seats).toEqual([]);
      expect((await client.post('/reservations', { concertId: 2, date: past, seatNumber: 1 })).status).toBe(404);

      for (const seatNumber of [1, 2]) {
        expect((await client.post('/reservations', { concertId: 2, date: soon, seatNumber })).status).toBe(201);
      }
      expect((await client.get('/concerts/2/available-dates')).body.availableDates).toEqual([later]);
      expect((await client.get(`/concerts/2/available-seats?date=${soon}`)).body.seats).toEqual([]);
    });

    it('refuses duplicates and bad admin input', async () => {
      const admin = { 'X-Admin-Key': ADMIN_KEY };
      const date = dayFromToday(30);
      await createConcert(api, 4, [date]);
      expect((await api.post('/admin/concerts', { concertId: 4, title: 'Again' }, admin)).status).toBe(409);
      expect((await api.post('/admin/concerts/4/schedules', { date, seats: [{ seatNumber: 1, price: 1 }] }, admin)).status).toBe(
        409,
      );
      expect((await api.post('/admin/concerts/77/schedules', { date, seats: [{ seatNumber: 1, price: 1 }] }, admin)).status).toBe(
        404,
      );
      for (const body of [
        { date: '2026-02-30', seats: [{ seatNumber: 1, price: 1 }] },
        { date: dayFromToday(31), seats: [] },
        { date: dayFromToday(31), seats: [{ seatNumber: 1, price: 1.5 }] },
        { date: dayFromToday(31), seats: [{ seatNumber: 0, price: 100 }] },
        {
          date: dayFromToday(31),
          seats: [
            { seatNumber: 1, price: 100 },
            { seatNumber: 1, price: 200 },
          ],
        },
      ]) {
        expect((await api.post('/admin/concerts/4/schedules', body, admin)).status).toBe(400);
      }
      expect((await api.post('/admin/concerts', { concertId: 0, title: 'Zero' }, admin)).status).toBe(400);
      expect((await api.post('/admin/concerts', { concertId: 6, title: '' }, admin)).status).toBe(400);
    });
  });
});

describe('demo seed and crashes', () => {
  it('seeds in one append: a crash mid-seed leaves nothing half-made, and the next boot seeds it whole', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'concert-seed-'));
    try {
      const store = new CrashingStore(new SqliteEventStore(join(dataDir, 'events.db')));
      store.crashAfter(afterEventOfType('ConcertCreated'));
      await expect(startEmbedded({ dataDir, store })).rejects.toThrow(/simulated crash/);
      await store.close();

      const server = await startEmbedded({ dataDir });
      try {
        const { client } = await activeUser(new ApiClient(server.url));
        const dates = (await client.get('/concerts/1/available-dates')).body.availableDates;
        expect(dates.length).toBeGreaterThanOrEqual(3);
        for (const date of dates)
          expect((await client.get(`/concerts/1/available-seats?date=${date}`)).body.seats).toHaveLength(50);
      } finally {
        await server.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
