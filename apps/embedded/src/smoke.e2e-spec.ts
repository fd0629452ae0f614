import { randomUUID } from 'node:crypto';
import { ApiClient, EmbeddedServer, startEmbedded } from '@concert/testing';

describe('embedded app: seed flow', () => {
  let server: EmbeddedServer;
  let api: ApiClient;

  beforeAll(async () => {
    server = await startEmbedded();
    api = new ApiClient(server.url);
  });
  afterAll(() => server.close());

  it('token → dates → seats → hold → charge → pay', async () => {
    const userId = randomUUID();
    const { client, status } = await api.tokenFor(userId);
    expect(status).toBe('ACTIVE');
    const dates = await client.get('/concerts/1/available-dates');
    expect(dates.status).toBe(200);
    expect(dates.body.availableDates.length).toBeGreaterThanOrEqual(3);
    const date = dates.body.availableDates[0];
    const seats = await client.get(`/concerts/1/available-seats?date=${date}`);
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
    expect(paid.body).toMatchObject({ reservationId: hold.body.reservationId, userId, amount: hold.body.price, status: 'COMPLETED' });
    const balance = await client.get(`/users/${userId}/balance`);
    expect(balance.body).toEqual({ userId, balance: 200_000 - hold.body.price });
    const after = await client.get('/queue/status');
    expect(after.body.status).toBe('EXPIRED');
  });
});
