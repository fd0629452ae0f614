import { HoldData, NewEvent, seatStream } from '@concert/contracts';
import { envelope, ExpectedRevision, InMemoryEventStore } from '@concert/event-store';
import { AppConfig, Clock } from '@concert/platform';
import { BookingRuntime } from './booking.runtime';
import { HoldExpiryProcess } from './hold-expiry.process';

const T0 = Date.parse('2030-05-01T10:00:00.000Z');
const DATE = '2030-06-01';

/** A store whose appends to one stream always fail (a poisoned stream, a flaky partition). */
class PoisonedStore extends InMemoryEventStore {
  poisoned?: string;

  override append(streamId: string, events: NewEvent[], expected: ExpectedRevision) {
    if (streamId === this.poisoned) return Promise.reject(new Error(`append to ${streamId} failed`));
    return super.append(streamId, events, expected);
  }
}

function hold(seatNumber: number, expiresInSeconds: number): HoldData {
  return {
    reservationId: `00000000-0000-4000-8000-${String(seatNumber).padStart(12, '0')}`,
    userId: '11111111-1111-4111-8111-111111111111',
    concertId: 1,
    date: DATE,
    seatNumber,
    price: 10_000,
    heldAt: new Date(T0).toISOString(),
    expiresAt: new Date(T0 + expiresInSeconds * 1000).toISOString(),
  };
}

describe('hold expiry process', () => {
  let now = T0;
  const clock: Clock = { now: () => new Date(now) };
  const config = { holdTtlSeconds: 300 } as AppConfig;

  async function setUp(store: InMemoryEventStore, holds: HoldData[]) {
    for (const h of holds) {
      await store.append(seatStream(1, DATE, h.seatNumber), envelope([{ type: 'SeatHeld', data: h }], new Date(T0)), 'no_stream');
    }
    const runtime = new BookingRuntime(store, config, clock);
    await runtime.catchUp();
    jest.spyOn(runtime.logger, 'error').mockImplementation(() => undefined);
    return { runtime, process: new HoldExpiryProcess(runtime) };
  }

  const types = async (store: InMemoryEventStore, seatNumber: number) =>
    (await store.readStream(seatStream(1, DATE, seatNumber))).map((e) => e.type);

  beforeEach(() => {
    now = T0;
  });

  it('records SeatHoldExpired for every hold past its deadline and leaves live ones', async () => {
    const store = new InMemoryEventStore();
    const { runtime, process } = await setUp(store, [hold(1, 60), hold(2, 600), hold(3, 120)]);
    now = T0 + 121_000;
    expect(await process.sweep()).toBe(2);
    expect(await types(store, 1)).toEqual(['SeatHeld', 'SeatHoldExpired']);
    expect(await types(store, 2)).toEqual(['SeatHeld']);
    expect(await types(store, 3)).toEqual(['SeatHeld', 'SeatHoldExpired']);
    expect([...runtime.view.openHolds]).toEqual([hold(2, 600).reservationId]);
    expect(await process.sweep()).toBe(0);
    await runtime.onModuleDestroy();
  });

  it('finds the open holds again in a fresh process over the same log (a restart)', async () => {
    const store = new InMemoryEventStore();
    const first = await setUp(store, [hold(4, 60)]);
    await first.runtime.onModuleDestroy();
    now = T0 + 61_000;
    const runtime = new BookingRuntime(store, config, clock);
    await runtime.catchUp();
    expect(await new HoldExpiryProcess(runtime).sweep()).toBe(1);
    expect(await types(store, 4)).toEqual(['SeatHeld', 'SeatHoldExpired']);
    await runtime.onModuleDestroy();
  });

  it('does not let one failing hold stop the expiry of the others', async () => {
    const store = new PoisonedStore();
    const { runtime, process } = await setUp(store, [hold(5, 60), hold(6, 60)]);
    store.poisoned = seatStream(1, DATE, 5);
    now = T0 + 61_000;
    expect(await process.sweep()).toBe(1);
    expect(await types(store, 6)).toEqual(['SeatHeld', 'SeatHoldExpired']);
    expect(await types(store, 5)).toEqual(['SeatHeld']);
    expect(runtime.logger.error).toHaveBeenCalled();
    await runtime.onModuleDestroy();
  });
});
