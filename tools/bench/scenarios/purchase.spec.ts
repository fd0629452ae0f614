import { randomSeatNumber } from './purchase';

/** An available-seats reply as the gateway writes it. */
const reply = (numbers: number[]): string =>
  JSON.stringify({ concertId: 3, date: '2027-02-25', seats: numbers.map((seatNumber) => ({ seatNumber, price: 50_000 })) });

describe('bench purchase: picking a seat from the reply text', () => {
  it('picks only listed seats, every one of them over many picks, and evenly', () => {
    const listed = [1, 7, 42, 99, 100, 250, 499, 500];
    const seen = new Map<number, number>();
    for (let i = 0; i < 8_000; i++) {
      const n = randomSeatNumber(reply(listed), new Set())!;
      seen.set(n, (seen.get(n) ?? 0) + 1);
    }
    expect([...seen.keys()].sort((a, b) => a - b)).toEqual(listed);
    // Uniform, as the parsed list's random index was (1,000 each expected; the first seat is no likelier).
    for (const count of seen.values()) expect(count).toBeGreaterThan(850);
    for (const count of seen.values()) expect(count).toBeLessThan(1_150);
  });

  it('skips the seats already tried and says when none is left', () => {
    const text = reply([3, 4, 5]);
    const tried = new Set<number>();
    for (let i = 0; i < 3; i++) {
      const n = randomSeatNumber(text, tried);
      expect(n).toBeDefined();
      expect(tried.has(n!)).toBe(false);
      tried.add(n!);
    }
    expect([...tried].sort()).toEqual([3, 4, 5]);
    expect(randomSeatNumber(text, tried)).toBeUndefined();
    expect(randomSeatNumber(reply([]), new Set())).toBeUndefined();
  });

  it('agrees with the parsed reply on a full 500-seat date with holes', () => {
    const listed = Array.from({ length: 500 }, (_, i) => i + 1).filter((n) => n % 7 !== 0);
    const text = reply(listed);
    const tried = new Set<number>();
    for (let n = randomSeatNumber(text, tried); n !== undefined; n = randomSeatNumber(text, tried)) tried.add(n);
    expect([...tried].sort((a, b) => a - b)).toEqual(JSON.parse(text).seats.map((s: { seatNumber: number }) => s.seatNumber));
  });
});
