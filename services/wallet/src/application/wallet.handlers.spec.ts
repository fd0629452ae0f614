import { ErrorCode, StoredEvent, walletStream } from '@concert/contracts';
import { EventStore, InMemoryEventStore } from '@concert/event-store';
import { AppConfig, Clock } from '@concert/platform';
import { ChargeWalletCommand, ChargeWalletHandler } from './wallet.handlers';
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
