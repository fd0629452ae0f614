import { randomUUID } from 'node:crypto';
import mongoose from 'mongoose';
import { checkEngines, describeWithEngines, isolatedMongoUrl } from '@concert/distributed';
import { ApiClient, startEmbedded } from '@concert/testing';
import { main } from './main';
import { captureIo } from './spec-helpers';

jest.setTimeout(180_000);

const engines = checkEngines({ mongo: true });

describeWithEngines('audit --rebuild --mongo-url (MongoDB wire protocol)', engines, () => {
  it('rebuilds the MongoDB read models from a log made through the API, with the balances the API reports', async () => {
    const server = await startEmbedded();
    const userId = randomUUID();
    let balance: number;
    try {
      const api = new ApiClient(server.url);
      const { client } = await api.tokenFor(userId);
      const date = (await client.get('/concerts/1/available-dates')).body.availableDates[0];
      const hold = await client.post('/reservations', { concertId: 1, date, seatNumber: 12 });
      expect(hold.status).toBe(201);
      expect((await client.post(`/users/${userId}/charge`, { amount: 300_000 })).status).toBe(200);
      expect((await client.post('/payments', { reservationId: hold.body.reservationId })).status).toBe(200);
      balance = (await client.get(`/users/${userId}/balance`)).body.balance;
    } finally {
      await server.close({ keepData: true });
    }

    const mongoUrl = isolatedMongoUrl(engines.mongoUrl!, 'concert_audit');
    const { io, out, err } = captureIo();
    const code = await main(['--data-dir', server.dataDir, '--rebuild', '--mongo-url', mongoUrl, '--json', '--quiet'], io);
    expect({ code, err: err() }).toEqual({ code: 0, err: '' });
    const result = JSON.parse(out());
    expect(result.sink).toBe('mongodb');
    expect(result.summary).toMatchObject({ balances: 1, reservations: 1 });

    const connection = await mongoose.createConnection(mongoUrl).asPromise();
    try {
      const doc = await connection.collection('balances').findOne({ userId });
      expect(doc).toMatchObject({ userId, balance, charged: 300_000 });
      await connection.dropDatabase();
    } finally {
      await connection.close();
    }
  });
});
