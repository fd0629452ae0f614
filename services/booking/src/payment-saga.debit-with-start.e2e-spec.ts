import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NewEvent, paymentStream, walletStream } from '@concert/contracts';
import { AppendOptions, AppendResult, ExpectedRevision, SqliteEventStore } from '@concert/event-store';
import { ApiClient, EmbeddedServer, startEmbedded } from '@concert/testing';
import { PaymentSaga } from './application/payment.saga';
import { afterEventOfType, CrashingStore } from './test/crashing-store';
import { activeUser, readStream } from './test/e2e';

jest.setTimeout(120_000);

const FUNDS = 1_000_000;

/** Records when each append was made and when it was answered, on one counter. */
class RecordingStore extends CrashingStore {
  private tick = 0;
  readonly log: { streamId: string; type: string; made: number; answered?: number; position?: number }[] = [];

  override async append(
    streamId: string,
    events: NewEvent[],
    expected: ExpectedRevision,
    options?: AppendOptions,
  ): Promise<AppendResult> {
    const entry: (typeof this.log)[number] = { streamId, type: events[0].type, made: ++this.tick };
    this.log.push(entry);
    const result = await super.append(streamId, events, expected, options);
    entry.answered = ++this.tick;
    entry.position = result.position;
    return result;
  }
}

/**
 * On the embedded store (one writer, appends decided in order) the saga asks the wallet for its debit in the
 * tick it queues PaymentStarted, on the condition that PaymentStarted is stored first: one commit fewer
 * before the buyer's answer, and never a debit without the payment that recovery would resume.
 */
describe('payment saga: the debit asked for with PaymentStarted', () => {
  let dataDir: string;
  let server: EmbeddedServer | undefined;

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'concert-saga-debit-'));
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function holdAndCharge(store: CrashingStore, seatNumber: number) {
    server = await startEmbedded({ dataDir, store });
    const { userId, client } = await activeUser(new ApiClient(server.url));
    const date = (await client.get('/concerts/1/available-dates')).body.availableDates[0];
    const hold = await client.post('/reservations', { concertId: 1, date, seatNumber });
    expect(hold.status).toBe(201);
    expect((await client.post(`/users/${userId}/charge`, { amount: FUNDS })).status).toBe(200);
    return { userId, client, reservationId: hold.body.reservationId as string, price: hold.body.price as number };
  }

  const types = async (stream: string): Promise<string[]> => (await readStream(server!, stream)).map((e) => e.type);

  it('makes the debit before PaymentStarted is answered, and the two are stored side by side', async () => {
    const store = new RecordingStore(new SqliteEventStore(join(dataDir, 'events.db')));
    const { userId, client, reservationId, price } = await holdAndCharge(store, 5);

    const paid = await client.post('/payments', { reservationId });
    expect(paid.status).toBe(200);
    const started = store.log.find((e) => e.type === 'PaymentStarted')!;
    const debited = store.log.find((e) => e.type === 'WalletDebited')!;
    expect(started.streamId).toBe(paymentStream(reservationId));
    expect(debited.streamId).toBe(walletStream(userId));
    expect(debited.made).toBeLessThan(started.answered!);
    expect(debited.position).toBe(started.position! + 1);
    expect((await client.get(`/users/${userId}/balance`)).body.balance).toBe(FUNDS - price);
    expect(await types(walletStream(userId))).toEqual(['WalletCharged', 'WalletDebited']);
  });

  it('stores no debit when PaymentStarted is not stored: the buyer hears 500, and the retry pays once', async () => {
    const store = new CrashingStore(new SqliteEventStore(join(dataDir, 'events.db')));
    const { userId, client, reservationId, price } = await holdAndCharge(store, 6);
    store.failOnce(afterEventOfType('PaymentStarted'));

    const failed = await client.post('/payments', { reservationId });
    expect(failed.status).toBe(500);
    expect(await types(paymentStream(reservationId))).toEqual([]);
    expect(await types(walletStream(userId))).toEqual(['WalletCharged']);
    expect((await client.get(`/users/${userId}/balance`)).body.balance).toBe(FUNDS);

    const retried = await client.post('/payments', { reservationId });
    expect(retried.status).toBe(200);
    // The answer comes once the seat is sold; the completion is recorded right after, under the payment's lock.
    await server!.app.get(PaymentSaga).completedReply(reservationId);
    expect(await types(paymentStream(reservationId))).toEqual(['PaymentStarted', 'PaymentCompleted']);
    expect(await types(walletStream(userId))).toEqual(['WalletCharged', 'WalletDebited']);
    expect((await client.get(`/users/${userId}/balance`)).body.balance).toBe(FUNDS - price);
  });
});
