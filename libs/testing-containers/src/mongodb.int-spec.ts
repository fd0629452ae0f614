import { randomUUID } from 'node:crypto';
import { MongoDBContainer, StartedMongoDBContainer } from '@testcontainers/mongodb';
import mongoose, { Connection, Schema } from 'mongoose';
import { describeWithContainers } from './container-runtime';

// Started as a single-node replica set by the module; reached with directConnection.
const IMAGE = 'mongo:8.2';

interface Balance {
  userId: string;
  amount: number;
}

describeWithContainers(`MongoDB ${IMAGE} replica set with mongoose (testcontainers)`, [IMAGE], () => {
  let container: StartedMongoDBContainer | undefined;
  let connection: Connection | undefined;

  beforeAll(async () => {
    container = await new MongoDBContainer(IMAGE).start();
    connection = await mongoose
      .createConnection(container.getConnectionString(), { directConnection: true, dbName: `tc-${randomUUID()}` })
      .asPromise();
  }, 300_000);

  afterAll(async () => {
    await connection?.close();
    await container?.stop();
  }, 60_000);

  it('writes, reads and updates a document through a mongoose model', async () => {
    const Balances = connection!.model<Balance>(
      'Balance',
      new Schema<Balance>({ userId: { type: String, unique: true }, amount: Number }),
    );
    await Balances.init();
    await Balances.create({ userId: 'u1', amount: 1000 });
    await Balances.updateOne({ userId: 'u1' }, { $inc: { amount: -300 } });
    const read = await Balances.findOne({ userId: 'u1' }).lean();
    expect(read).toMatchObject({ userId: 'u1', amount: 700 });
    await expect(Balances.create({ userId: 'u1', amount: 1 })).rejects.toMatchObject({ code: 11000 });
  });

  it('runs a transaction (the replica set is up)', async () => {
    const Ledger = connection!.model('Ledger', new Schema({ userId: String, delta: Number }));
    await Ledger.createCollection();
    const session = await connection!.startSession();
    try {
      await session.withTransaction(async () => {
        await Ledger.create([{ userId: 'u2', delta: 500 }], { session });
        await Ledger.create([{ userId: 'u2', delta: -200 }], { session });
      });
    } finally {
      await session.endSession();
    }
    const rows = await Ledger.find({ userId: 'u2' }).lean();
    expect(rows.map((r) => r.delta as number).sort((a, b) => a - b)).toEqual([-200, 500]);
  });
});
