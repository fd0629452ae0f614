import { randomUUID } from 'node:crypto';
import { ApiClient, EmbeddedServer, startEmbedded } from '@concert/testing';
import { buySeat, queueStatus, statusUntil } from './queue.e2e-helpers';

jest.setTimeout(60_000);

describe('waiting room over HTTP: issue, admit, release', () => {
  let server: EmbeddedServer;
  let api: ApiClient;

  beforeAll(async () => {
    server = await startEmbedded({ env: { QUEUE_MAX_ACTIVE: '3' } });
    api = new ApiClient(server.url);
  });
  afterAll(() => server.close());

  it('admits three, lines up the rest, and hands a paid slot to the next within a second', async () => {
    const users = [randomUUID(), randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const issued = [];
    for (const userId of users) {
      const res = await api.post('/queue/token', { userId });
      expect(res.status).toBe(200);
      expect(Object.keys(res.body).sort()).toEqual(['estimatedWaitTime', 'queuePosition', 'status', 'token']);
      issued.push(res.body);
    }
    expect(issued.map((r) => [r.status, r.queuePosition])).toEqual([
      ['ACTIVE', 0],
      ['ACTIVE', 0],
      ['ACTIVE', 0],
      ['WAITING', 1],
      ['WAITING', 2],
    ]);
    expect(issued.slice(0, 3).every((r) => r.estimatedWaitTime === 0)).toBe(true);
    // Nobody has left yet: the line moves at the guaranteed 3 slots per 10-minute TTL, 0.3 a minute.
    expect([issued[3].estimatedWaitTime, issued[4].estimatedWaitTime]).toEqual([4, 7]);

    await buySeat(api, users[0], issued[0].token, 11);

    const fourth = await statusUntil(api, issued[3].token, (v) => v.status === 'ACTIVE');
    expect(fourth).toMatchObject({ httpStatus: 200, status: 'ACTIVE', queuePosition: 0, estimatedWaitTime: 0 });
    expect(await queueStatus(api, issued[4].token)).toMatchObject({ status: 'WAITING', queuePosition: 1 });
    expect(await queueStatus(api, issued[0].token)).toEqual({
      httpStatus: 200,
      status: 'EXPIRED',
      queuePosition: 0,
      estimatedWaitTime: 0,
    });
  });

  it('gives a user with a live token the same token and place back', async () => {
    const users = [randomUUID(), randomUUID()];
    const first = await api.post('/queue/token', { userId: users[0] });
    const second = await api.post('/queue/token', { userId: users[1] });
    const again = await api.post('/queue/token', { userId: users[1] });
    expect(second.body.status).toBe('WAITING');
    expect(again.status).toBe(200);
    expect(again.body.token).toBe(second.body.token);
    expect(again.body.queuePosition).toBe(second.body.queuePosition);
    expect(first.body.queuePosition).toBeLessThan(second.body.queuePosition);
  });

  it('treats an upper-case user id as the same user', async () => {
    const userId = randomUUID();
    const lower = await api.post('/queue/token', { userId });
    const upper = await api.post('/queue/token', { userId: userId.toUpperCase() });
    expect(upper.body.token).toBe(lower.body.token);
  });

  it.each([
    ['a missing user id', {}],
    ['a non-UUID user id', { userId: 'not-a-uuid' }],
    ['a numeric user id', { userId: 42 }],
    ['a null user id', { userId: null }],
    ['a body that is not an object', [randomUUID()]],
  ])('answers 400 for %s', async (_case, body) => {
    const res = await api.post('/queue/token', body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, message: 'Invalid user ID format', error: 'Bad Request' });
  });

  it('lets only ACTIVE tokens reach concert routes', async () => {
    const waitingUser = randomUUID();
    const waiting = await api.post('/queue/token', { userId: waitingUser });
    expect(waiting.body.status).toBe('WAITING');
    const res = await api.withToken(waiting.body.token).get('/concerts/1/available-dates');
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ statusCode: 403, message: 'Queue token is not active', error: 'Forbidden' });
    const hold = await api
      .withToken(waiting.body.token)
      .post('/reservations', { concertId: 1, date: '2030-01-01', seatNumber: 1 });
    expect(hold.status).toBe(403);
    const pay = await api.withToken(waiting.body.token).post('/payments', { reservationId: randomUUID() });
    expect(pay.status).toBe(403);
  });

  it('answers 401 on a concert route without a token or with a forged one', async () => {
    const none = await api.get('/concerts/1/available-dates');
    expect(none.status).toBe(401);
    expect(none.body).toEqual({ statusCode: 401, message: 'Invalid or expired token', error: 'Unauthorized' });
    const userId = randomUUID();
    const { token } = await api.tokenFor(userId);
    const [h, p, s] = token.split('.');
    const forged = `${h}.${p}.${s.slice(0, -2)}${s.endsWith('AA') ? 'BB' : 'AA'}`;
    const res = await api.withToken(forged).get('/concerts/1/available-dates');
    expect(res.status).toBe(401);
  });

  it('opens a wallet only to its owner, whatever the queue status', async () => {
    const owner = randomUUID();
    const other = randomUUID();
    const { token } = await api.tokenFor(owner);
    const mine = await api.withToken(token).get(`/users/${owner}/balance`);
    expect(mine.status).toBe(200);
    const charged = await api.withToken(token).post(`/users/${owner}/charge`, { amount: 5000 });
    expect(charged.status).toBe(200);
    const upper = await api.withToken(token).get(`/users/${owner.toUpperCase()}/balance`);
    expect(upper.status).toBe(200);
    expect(upper.body.balance).toBe(5000);
    const theirs = await api.withToken(token).get(`/users/${other}/balance`);
    expect(theirs.status).toBe(403);
    expect(theirs.body).toMatchObject({ statusCode: 403, error: 'Forbidden' });
    const theirCharge = await api.withToken(token).post(`/users/${other}/charge`, { amount: 5000 });
    expect(theirCharge.status).toBe(403);
    const anonymous = await api.get(`/users/${owner}/balance`);
    expect(anonymous.status).toBe(401);
  });
});
