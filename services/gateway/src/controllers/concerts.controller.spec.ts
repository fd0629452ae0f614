import { AvailableSeatsReply } from '@concert/contracts';
import { keptSeatLists, serializedSeats } from './concerts.controller';

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

describe('serializedSeats built from each seat’s JSON', () => {
  const hall = Array.from({ length: 300 }, (_, i) => ({ seatNumber: i + 1, price: 50_000 + (i % 4) * 10_000 }));

  it('equals JSON.stringify for every list of the same seat objects, as the free list shrinks and grows', () => {
    let free = [...hall];
    for (let round = 0; round < 50; round++) {
      const reply: AvailableSeatsReply = { concertId: 7, date: '2026-12-24', seats: free };
      expect(serializedSeats(reply)).toBe(JSON.stringify(reply));
      free =
        round % 5 === 4
          ? [...free, hall[round]].sort((a, b) => a.seatNumber - b.seatNumber)
          : free.filter((_, i) => i % 7 !== round % 7);
    }
  });

  it('equals JSON.stringify for seat objects new every time (a reply that crossed Kafka), and for none', () => {
    for (let round = 0; round < 3; round++) {
      const reply: AvailableSeatsReply = { concertId: 2, date: '2026-12-25', seats: hall.map((s) => ({ ...s })) };
      expect(serializedSeats(reply)).toBe(JSON.stringify(reply));
    }
    const none: AvailableSeatsReply = { concertId: 2, date: '2026-12-26', seats: [] };
    expect(serializedSeats(none)).toBe(JSON.stringify(none));
  });

  it('keeps the reply’s fields and their order, whatever they are', () => {
    const seats = hall.slice(0, 3);
    serializedSeats({ concertId: 3, date: '2026-12-24', seats: [...seats] });
    const reordered = { seats: [...seats], date: '2026-12-27', concertId: 3 } as AvailableSeatsReply;
    expect(serializedSeats(reordered)).toBe(JSON.stringify(reordered));
  });

  it('equals JSON.stringify for lists built from the last one of the same date: seats taken, freed, replaced, reordered', () => {
    // A seeded generator: the same lists on every run.
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed % n;
    };
    // The second date's seats have other prices and a field more: no seat's JSON may come from the other date.
    const halls = [hall, hall.map((s) => ({ ...s, price: s.price + 5_000, row: 'B' }))];
    const free = [new Set(hall.map((_, i) => i)), new Set(hall.map((_, i) => i))];
    for (let round = 0; round < 400; round++) {
      const d = random(2);
      const taken = random(4);
      for (let k = 0; k < taken; k++) free[d].delete(random(hall.length));
      if (random(3) === 0) free[d].add(random(hall.length));
      let seats = [...free[d]].sort((a, b) => a - b).map((i) => halls[d][i]);
      // A few seats as new objects of the same seat number and another price.
      if (random(10) === 0) seats = seats.map((s, i) => (i % 50 === 0 ? { ...s, price: s.price + round } : s));
      if (random(20) === 0) seats = [...seats].reverse();
      if (random(20) === 0) seats = [...seats, ...seats.slice(0, 3)]; // a seat twice
      const reply: AvailableSeatsReply = { concertId: 9, date: `2026-12-2${d}`, seats };
      expect(serializedSeats(reply)).toBe(JSON.stringify(reply));
    }
  });

  it('keeps at most 1,024 lists and 8,000,000 characters, and not a list longer than that', () => {
    const big = Array.from({ length: 20_000 }, (_, i) => ({ seatNumber: i + 1, price: 100_000 + i }));
    for (let d = 0; d < 15; d++) {
      const reply: AvailableSeatsReply = { concertId: 11, date: `date-${d}`, seats: big.slice(d % 7) };
      serializedSeats(reply);
      expect(serializedSeats({ ...reply, seats: big.slice(d % 7, -1) })).toBe(
        JSON.stringify({ ...reply, seats: big.slice(d % 7, -1) }),
      );
    }
    expect(keptSeatLists().chars).toBeLessThanOrEqual(8_000_000);
    expect(keptSeatLists().chars).toBeGreaterThan(6_000_000);
    for (let d = 0; d < 1_100; d++) {
      const seats = hall.slice(d % 5, 20);
      serializedSeats({ concertId: 12, date: `date-${d}`, seats });
      serializedSeats({ concertId: 12, date: `date-${d}`, seats: seats.slice(1) });
    }
    expect(keptSeatLists().lists).toBe(1_024);
    const huge = Array.from({ length: 300_000 }, (_, i) => ({ seatNumber: i + 1, price: 100_000 + i }));
    const before = keptSeatLists();
    const reply: AvailableSeatsReply = { concertId: 13, date: '2026-12-24', seats: huge };
    serializedSeats(reply);
    expect(serializedSeats({ ...reply, seats: huge.slice(1) })).toBe(JSON.stringify({ ...reply, seats: huge.slice(1) }));
    expect(keptSeatLists()).toEqual(before);
  });
});
