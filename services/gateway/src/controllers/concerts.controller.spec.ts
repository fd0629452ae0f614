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
    const halls = [hall, hall.map((s) => ({ ...s }))];
    const free = [new Set(hall.map((_, i) => i)), new Set(hall.map((_, i) => i))];
    for (let round = 0; round < 400; round++) {
      const d = random(2);
      const taken = random(4);
      for (let k = 0; k < taken; k++) free[d].delete(random(hall.length));
      if (random(3) === 0) free[d].add(random(hall.length));
      let seats = [...free[d]].sort((a, b) => a - b).map((i) => halls[d][i]);
      if (random(10) === 0) seats = seats.map((s, i) => (i % 50 === 0 ? { ...s } : s)); // a few seats as new objects
      if (random(20) === 0) seats = [...seats].reverse();
      if (random(20) === 0) seats = [...seats, ...seats.slice(0, 3)]; // a seat twice
      const reply: AvailableSeatsReply = { concertId: 9, date: `2026-12-2${d}`, seats };
      expect(serializedSeats(reply)).toBe(JSON.stringify(reply));
    }
  });
});
