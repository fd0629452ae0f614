import { randomUUID } from 'node:crypto';
import { ErrorCode, StoredEvent, walletStream } from '@concert/contracts';
import { envelope, EventStore, InMemoryEventStore } from '@concert/event-store';
import { AppConfig, Clock } from '@concert/platform';
import { ChargeWalletCommand, ChargeWalletHandler, DebitWalletCommand, DebitWalletHandler } from './wallet.handlers';
import { WalletRuntime } from './wallet.runtime';

const USER = '11111111-1111-4111-8111-111111111111';
const clock: Clock = { now: () => new Date('2030-05-01T10:00:00.000Z') };

describe('charging a wallet', () => {
  let store: EventStore;
  let reads: { streamId: string; found: number }[];
  let charge: ChargeWalletHandler;
  let runtime: WalletRuntime;

  beforeEach(async () => {
    store = new InMemoryEventStore();
    reads = [];
    const readStream = store.readStream.bind(store);
    store.readStream = async (streamId: string, from?: number): Promise<StoredEvent[]> => {
      const events = await readStream(streamId, from);
      reads.push({ streamId, found: events.length });
      return events;
    };
    runtime = new WalletRuntime(store, { maxChargeAmount: 10_000 } as AppConfig, clock);
    await runtime.onApplicationBootstrap();
    charge = new ChargeWalletHandler(runtime);
  });

  afterEach(() => runtime.onModuleDestroy());

  it('writes a first charge without reading the wallet it creates, and reads it for the next', async () => {
    expect(await charge.execute(new ChargeWalletCommand(USER, 3_000))).toMatchObject({ chargedAmount: 3_000, balance: 3_000 });
    expect(reads).toEqual([]);
    expect(await charge.execute(new ChargeWalletCommand(USER, 2_000))).toMatchObject({ chargedAmount: 2_000, balance: 5_000 });
    expect(reads).toEqual([{ streamId: walletStream(USER), found: 1 }]);
  });

  it('still refuses what the wallet refuses, on a wallet it has never seen (checked against the store)', async () => {
    await expect(charge.execute(new ChargeWalletCommand(USER, 10_001))).rejects.toMatchObject({ code: ErrorCode.InvalidAmount });
    expect(await store.readStream(walletStream(USER))).toEqual([]);
  });
});

describe('debiting a wallet after the payment it belongs to', () => {
  const PAYMENT = '22222222-2222-4222-8222-222222222222';
  const RESERVATION = '33333333-3333-4333-8333-333333333333';
  let store: InMemoryEventStore;
  let runtime: WalletRuntime;

  beforeEach(async () => {
    store = new InMemoryEventStore();
    runtime = new WalletRuntime(store, { maxChargeAmount: 10_000 } as AppConfig, clock);
    await runtime.onApplicationBootstrap();
    await new ChargeWalletHandler(runtime).execute(new ChargeWalletCommand(USER, 5_000));
  });

  afterEach(() => runtime.onModuleDestroy());

  const debit = (after: { streamId: string; eventId: string }) =>
    new DebitWalletHandler(runtime).execute(new DebitWalletCommand(USER, PAYMENT, RESERVATION, 2_000, after));

  it('debits when the event it must follow is stored', async () => {
    const [started] = envelope([{ type: 'PaymentStarted', data: {} }], clock.now());
    await store.append('payment-x', [started], 'no_stream');
    expect(await debit({ streamId: 'payment-x', eventId: started.id })).toMatchObject({ paymentId: PAYMENT, balance: 3_000 });
  });

  it('refuses with REQUIRED_EVENT_MISSING, storing nothing, when it is not', async () => {
    await expect(debit({ streamId: 'payment-x', eventId: randomUUID() })).rejects.toMatchObject({
      code: ErrorCode.RequiredEventMissing,
    });
    expect((await store.readStream(walletStream(USER))).map((e) => e.type)).toEqual(['WalletCharged']);
    expect(runtime.balances.get(USER)).toBe(5_000);
  });
});
