import { DomainError, ErrorCode, seatStream } from '@concert/contracts';
import { execute, InMemoryEventStore } from '@concert/event-store';
import { AppConfig, Clock } from '@concert/platform';
import { seatDecider } from '../domain/seat.decider';
import { appendOneSeatCatalog } from '../test/one-seat-catalog';
import { BookingRuntime } from './booking.runtime';
import { CancelReservationCommand, CancelReservationHandler, HoldSeatCommand, HoldSeatHandler } from './reservation.handlers';

const T0 = Date.parse('2030-05-01T10:00:00.000Z');
const DATE = '2030-06-01';
const HOLDER = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const ticks = async (n = 5) => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe('cancelling a hold that lapsed and was taken while the cancel waited', () => {
  it('answers 400 "Reservation has expired", as when the expiry was recorded before (not 409)', async () => {
    let now = T0;
    const clock: Clock = { now: () => new Date(now) };
    const store = new InMemoryEventStore();
    const runtime = new BookingRuntime(store, { holdTtlSeconds: 60 } as AppConfig, clock);
    await appendOneSeatCatalog(store, DATE, new Date(T0));
    await runtime.onApplicationBootstrap();
    const held = await new HoldSeatHandler(runtime).execute(new HoldSeatCommand(HOLDER, 1, DATE, 1));
    now = T0 + 61_000;

    // Another instance takes the lapsed seat while this one's cancel waits for the seat's lane.
    const stream = seatStream(1, DATE, 1);
    let release!: () => void;
    const lane = runtime.locks.run(stream, () => new Promise<void>((r) => (release = r)));
    const cancel = new CancelReservationHandler(runtime).execute(new CancelReservationCommand(HOLDER, held.reservationId)).then(
      () => 'cancelled',
      (err: unknown) => (err instanceof DomainError ? err.code : String(err)),
    );
    await ticks();
    await execute(
      store,
      stream,
      seatDecider,
      {
        type: 'HoldSeat',
        reservationId: '33333333-3333-4333-8333-333333333333',
        userId: OTHER,
        concertId: 1,
        date: DATE,
        seatNumber: 1,
        price: 1000,
        now: new Date(now),
        ttlSeconds: 60,
      },
      { now: new Date(now) },
    );
    release();
    await lane;
    expect(await cancel).toBe(ErrorCode.ReservationExpired);
    await runtime.onModuleDestroy();
  });
});
