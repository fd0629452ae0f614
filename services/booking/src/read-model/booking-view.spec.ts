import { StoredEvent } from '@concert/contracts';
import { BookingView } from './booking-view';

let position = 0;
const stored = (streamId: string, type: string, data: unknown): StoredEvent => ({
  id: `e${++position}`,
  type,
  version: 1,
  data,
  metadata: { occurredAt: '2026-12-01T00:00:00.000Z', correlationId: 'c', causationId: 'c' },
  streamId,
  revision: 0,
  position,
});

const T0 = Date.parse('2026-12-01T00:00:00.000Z');
const DATE = '2026-12-24';

function viewWithSchedule(): BookingView {
  const view = new BookingView();
  view.apply(stored('booking-concert-1', 'ConcertCreated', { concertId: 1, title: 'x', createdAt: '' }));
  view.apply(
    stored('booking-concert-1', 'ScheduleAdded', {
      concertId: 1,
      date: DATE,
      seats: [1, 2, 3].map((seatNumber) => ({ seatNumber, price: 1000 * seatNumber })),
      addedAt: '',
    }),
  );
  return view;
}

const hold = (view: BookingView, reservationId: string, seatNumber: number, expiresAtMs: number) =>
  view.apply(
    stored(`booking-seat-1:${DATE}:${seatNumber}`, 'SeatHeld', {
      reservationId,
      userId: 'u',
      concertId: 1,
      date: DATE,
      seatNumber,
      price: 1000 * seatNumber,
      heldAt: new Date(T0).toISOString(),
      expiresAt: new Date(expiresAtMs).toISOString(),
    }),
  );

const numbers = (view: BookingView, now: number) => view.availableSeats(1, DATE, now)!.map((s) => s.seatNumber);

describe('BookingView free seats (cached per date)', () => {
  it('drops a seat as soon as it is held, even after the list was cached', () => {
    const view = viewWithSchedule();
    expect(numbers(view, T0)).toEqual([1, 2, 3]);
    hold(view, 'r1', 2, T0 + 60_000);
    expect(numbers(view, T0 + 1)).toEqual([1, 3]);
  });

  it('frees a held seat at its deadline without any event', () => {
    const view = viewWithSchedule();
    hold(view, 'r1', 2, T0 + 60_000);
    expect(numbers(view, T0 + 59_999)).toEqual([1, 3]);
    expect(numbers(view, T0 + 60_000)).toEqual([1, 2, 3]);
  });

  it('frees a cancelled seat at once and never lists a sold one again', () => {
    const view = viewWithSchedule();
    hold(view, 'r1', 1, T0 + 60_000);
    hold(view, 'r2', 3, T0 + 60_000);
    expect(numbers(view, T0)).toEqual([2]);
    view.apply(stored(`booking-seat-1:${DATE}:1`, 'SeatHoldCancelled', { reservationId: 'r1', userId: 'u', cancelledAt: '' }));
    expect(numbers(view, T0)).toEqual([1, 2]);
    view.apply(
      stored(`booking-seat-1:${DATE}:3`, 'SeatSold', {
        reservationId: 'r2',
        userId: 'u',
        paymentId: 'p',
        price: 3000,
        soldAt: '',
      }),
    );
    expect(numbers(view, T0 + 10 * 60_000)).toEqual([1, 2]);
  });

  it('keeps a re-held seat taken when the expiry of its earlier hold is recorded late', () => {
    const view = viewWithSchedule();
    hold(view, 'r1', 2, T0 + 60_000);
    // r1 lapsed unrecorded; r2 holds the seat; then the expiry process records r1's end.
    hold(view, 'r2', 2, T0 + 180_000);
    view.apply(stored(`booking-seat-1:${DATE}:2`, 'SeatHoldExpired', { reservationId: 'r1', userId: 'u', expiredAt: '' }));
    expect(numbers(view, T0 + 120_000)).toEqual([1, 3]);
    expect(numbers(view, T0 + 180_000)).toEqual([1, 2, 3]);
    expect(view.isTaken(1, DATE, 2, T0 + 120_000)).toBe(true);
  });

  it('lists a date only while it has a free seat', () => {
    const view = viewWithSchedule();
    expect(view.availableDates(1, T0)).toEqual([DATE]);
    for (const n of [1, 2, 3]) hold(view, `r${n}`, n, T0 + 60_000);
    expect(view.availableDates(1, T0)).toEqual([]);
    expect(view.availableDates(1, T0 + 60_000)).toEqual([DATE]);
  });
});

describe('BookingView.isTaken', () => {
  it('is true while a hold runs or once sold, false when free or past the deadline', () => {
    const view = viewWithSchedule();
    expect(view.isTaken(1, DATE, 1, T0)).toBe(false);
    hold(view, 'r1', 1, T0 + 1000);
    expect(view.isTaken(1, DATE, 1, T0 + 999)).toBe(true);
    expect(view.isTaken(1, DATE, 1, T0 + 1000)).toBe(false);
    view.apply(
      stored(`booking-seat-1:${DATE}:1`, 'SeatSold', {
        reservationId: 'r1',
        userId: 'u',
        paymentId: 'p',
        price: 1000,
        soldAt: '',
      }),
    );
    expect(view.isTaken(1, DATE, 1, T0 + 10_000)).toBe(true);
  });
});

describe('BookingView.seatPrice', () => {
  it('finds the price of every seat of a schedule, in any order given, and nothing for a seat it lacks', () => {
    const view = new BookingView();
    view.apply(stored('booking-concert-2', 'ConcertCreated', { concertId: 2, title: 'y', createdAt: '' }));
    const numbers = [7, 1, 5, 2, 9, 3, 10, 4];
    view.apply(
      stored('booking-concert-2', 'ScheduleAdded', {
        concertId: 2,
        date: DATE,
        seats: numbers.map((seatNumber) => ({ seatNumber, price: 100 + seatNumber })),
        addedAt: '',
      }),
    );
    for (const n of numbers) expect(view.seatPrice(2, DATE, n)).toBe(100 + n);
    for (const n of [0, 6, 8, 11, -1]) expect(view.seatPrice(2, DATE, n)).toBeUndefined();
    expect(view.seatPrice(2, '2026-12-25', 1)).toBeUndefined();
    expect(view.seatPrice(3, DATE, 1)).toBeUndefined();
  });
});

describe('BookingView free seats of a date that passes', () => {
  const midnight = Date.parse(`${DATE}T00:00:00.000Z`) + 86_400_000;

  it('lists them through the last millisecond of the date (UTC) and none from midnight on, also when the clock goes back', () => {
    const view = viewWithSchedule();
    expect(numbers(view, midnight - 86_400_000)).toEqual([1, 2, 3]);
    expect(numbers(view, midnight - 1)).toEqual([1, 2, 3]);
    expect(numbers(view, midnight)).toEqual([]);
    expect(numbers(view, midnight + 3_600_000)).toEqual([]);
    // A clock set back (NTP) must not keep the later day.
    expect(numbers(view, midnight - 1)).toEqual([1, 2, 3]);
    expect(numbers(view, T0)).toEqual([1, 2, 3]);
  });

  it('knows which seats the store has a stream for: only those held at least once', () => {
    const view = viewWithSchedule();
    hold(view, 'r1', 2, T0 + 60_000);
    expect([1, 2, 3].map((n) => view.seatNeverHeld(1, DATE, n))).toEqual([true, false, true]);
    expect(view.seatNeverHeld(1, DATE, 4)).toBe(false);
    expect(view.seatNeverHeld(1, '2026-12-25', 1)).toBe(false);
  });
});
