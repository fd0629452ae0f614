import { AvailableSeatsReply } from '@concert/contracts';
import { serializedSeats } from './concerts.controller';

describe('serializedSeats', () => {
  const seats = [
    { seatNumber: 1, price: 50_000 },
    { seatNumber: 2, price: 80_000 },
  ];

  it('is the JSON of the reply, kept for the same free list and made again for another', () => {
    const reply: AvailableSeatsReply = { concertId: 1, date: '2026-12-24', seats };
    const body = serializedSeats(reply);
    expect(JSON.parse(body)).toEqual(reply);
    expect(serializedSeats({ ...reply })).toBe(body);
    const next = [seats[1]];
    expect(JSON.parse(serializedSeats({ ...reply, seats: next }))).toEqual({ ...reply, seats: next });
  });

  it('never hands one date the body of another, even for one (shared) list', () => {
    const shared: AvailableSeatsReply['seats'] = [];
    expect(JSON.parse(serializedSeats({ concertId: 1, date: '2026-12-24', seats: shared })).date).toBe('2026-12-24');
    expect(JSON.parse(serializedSeats({ concertId: 1, date: '2026-12-25', seats: shared })).date).toBe('2026-12-25');
    expect(JSON.parse(serializedSeats({ concertId: 2, date: '2026-12-25', seats: shared })).concertId).toBe(2);
  });
});
