import { Fenwick } from './fenwick';

/** A seeded generator, so a failing run can be replayed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

describe('Fenwick', () => {
  it('sums prefixes of point updates', () => {
    const f = new Fenwick();
    f.add(1, 1);
    f.add(3, 1);
    f.add(4, 2);
    expect([0, 1, 2, 3, 4, 5].map((i) => f.prefix(i))).toEqual([0, 1, 1, 2, 4, 4]);
  });

  it('finds the k-th set index', () => {
    const f = new Fenwick();
    for (const i of [2, 5, 9]) f.add(i, 1);
    expect([1, 2, 3, 4, 0].map((k) => f.findKth(k))).toEqual([2, 5, 9, 0, 0]);
    f.add(5, -1);
    expect([1, 2, 3].map((k) => f.findKth(k))).toEqual([2, 9, 0]);
  });

  it('grows past its first capacity and keeps every sum', () => {
    const f = new Fenwick();
    for (let i = 1; i <= 5000; i++) f.add(i, 1);
    f.add(100_000, 1);
    expect(f.prefix(1023)).toBe(1023);
    expect(f.prefix(1024)).toBe(1024);
    expect(f.prefix(5000)).toBe(5000);
    expect(f.prefix(99_999)).toBe(5000);
    expect(f.prefix(1e9)).toBe(5001);
    expect(f.findKth(5001)).toBe(100_000);
    expect(f.findKth(1024)).toBe(1024);
  });

  it('grows right at a power of two', () => {
    const f = new Fenwick();
    f.add(1023, 1);
    f.add(1024, 1);
    f.add(2048, 1);
    expect([f.prefix(1022), f.prefix(1023), f.prefix(1024), f.prefix(2047), f.prefix(2048)]).toEqual([0, 1, 2, 2, 3]);
    expect([f.findKth(1), f.findKth(2), f.findKth(3)]).toEqual([1023, 1024, 2048]);
  });

  it('refuses index 0 and negative indexes instead of looping forever', () => {
    const f = new Fenwick();
    expect(() => f.add(0, 1)).toThrow(RangeError);
    expect(() => f.add(-3, 1)).toThrow(RangeError);
    expect(() => f.add(1.5, 1)).toThrow(RangeError);
  });

  it.each([1, 2, 3, 4, 5])('agrees with a plain array over random updates (seed %i)', (seed) => {
    const random = rng(seed);
    const f = new Fenwick();
    const naive: number[] = [0];
    let max = 50;
    for (let step = 0; step < 4000; step++) {
      if (step % 1000 === 999) max *= 4;
      const index = 1 + Math.floor(random() * max);
      while (naive.length <= index) naive.push(0);
      if (naive[index] > 0 && random() < 0.4) {
        f.add(index, -1);
        naive[index]--;
      } else {
        f.add(index, 1);
        naive[index]++;
      }
      if (step % 50 === 0) {
        let sum = 0;
        for (let i = 1; i < naive.length; i++) {
          sum += naive[i];
          if (f.prefix(i) !== sum) throw new Error(`prefix(${i}) = ${f.prefix(i)}, expected ${sum} at step ${step}`);
        }
        for (let k = 1; k <= sum; k += Math.max(1, Math.floor(sum / 40))) {
          let acc = 0;
          let expected = 0;
          for (let i = 1; i < naive.length; i++) {
            acc += naive[i];
            if (acc >= k) {
              expected = i;
              break;
            }
          }
          expect(f.findKth(k)).toBe(expected);
        }
        expect(f.findKth(sum + 1)).toBe(0);
      }
    }
  });
});
