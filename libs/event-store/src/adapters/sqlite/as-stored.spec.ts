import { asStored } from './sqlite-event-store';

const roundTrip = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

describe('asStored: an appended event’s data as a read from the file gives it', () => {
  const cases: [string, unknown][] = [
    ['a seat hold', { reservationId: 'r', userId: 'u', concertId: 3, date: '2030-01-01', seatNumber: 7, price: 1000 }],
    [
      'nested arrays and objects',
      {
        seats: [
          { seatNumber: 1, price: 10 },
          { seatNumber: 2, price: 20 },
        ],
        tags: ['a', 'b'],
      },
    ],
    ['nulls, booleans, empty containers', { a: null, b: true, c: false, d: [], e: {} }],
    ['undefined fields (dropped)', { a: 1, b: undefined, c: { d: undefined } }],
    ['undefined in an array (null)', [1, undefined, 3]],
    ['a Date (its ISO string)', { at: new Date('2030-01-01T00:00:00Z') }],
    ['non-finite numbers (null)', { a: Number.NaN, b: Number.POSITIVE_INFINITY, c: [Number.NEGATIVE_INFINITY] }],
    ['negative zero (0)', { a: -0, b: [-0] }],
    ['an own toJSON', { a: { toJSON: () => 'x' } }],
    [
      'a class instance (own fields only)',
      {
        a: new (class {
          x = 1;
          get y() {
            return 2;
          }
        })(),
      },
    ],
    ['functions and symbols (dropped)', { f: () => 1, s: Symbol('s'), n: 1 }],
    ['an own __proto__ key', JSON.parse('{"__proto__": {"polluted": 1}, "a": 1}')],
    ['a bare string', 'text'],
    ['a bare number', 42],
  ];

  it.each(cases)('%s', (_name, value) => {
    const copy = asStored(value);
    expect(copy).toEqual(roundTrip(value));
    expect(Object.keys(copy ?? {})).toEqual(Object.keys((roundTrip(value) as object) ?? {}));
    if (typeof value === 'object' && value !== null) expect(copy).not.toBe(value);
  });

  it('is a deep copy: changing the copy leaves the original alone', () => {
    const original = { seats: [{ seatNumber: 1 }], meta: { by: 'a' } };
    const copy = asStored(original);
    copy.seats[0].seatNumber = 9;
    copy.meta.by = 'b';
    expect(original).toEqual({ seats: [{ seatNumber: 1 }], meta: { by: 'a' } });
  });

  it('matches the JSON round trip on random event-like values', () => {
    let seed = 7;
    const rnd = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const value = (depth: number): unknown => {
      const r = rnd();
      if (depth > 3 || r < 0.3)
        return [`s${Math.floor(rnd() * 100)}`, Math.floor(rnd() * 1e6) - 5e5, rnd(), true, null, undefined][
          Math.floor(rnd() * 6)
        ];
      if (r < 0.6) return Array.from({ length: Math.floor(rnd() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(rnd() * 5) }, (_, i) => [`k${i}`, value(depth + 1)]));
    };
    for (let i = 0; i < 2_000; i++) {
      const v = { data: value(0) };
      expect(asStored(v)).toEqual(roundTrip(v));
    }
  });
});
