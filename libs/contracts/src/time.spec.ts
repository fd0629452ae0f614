import { isoTime, parseIsoTime } from './time';
import { mulberry32 } from '@concert/platform';

const YEAR_10000_MS = Date.UTC(10000, 0, 1);

describe('isoTime', () => {
  it('writes what toISOString writes, at the edges of days, years and the range it formats itself', () => {
    const edges = [
      0,
      1,
      999,
      1000,
      86_399_999,
      86_400_000,
      Date.UTC(2026, 11, 31, 23, 59, 59, 999),
      Date.UTC(2027, 0, 1),
      Date.UTC(2028, 1, 29, 12, 0, 0, 5),
      YEAR_10000_MS - 1,
      YEAR_10000_MS,
      YEAR_10000_MS + 86_400_123,
      -1,
      -86_400_000,
      Date.UTC(-50, 3, 4, 5, 6, 7, 8),
      8.64e15,
    ];
    for (const ms of edges) {
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
      expect(isoTime(new Date(ms))).toBe(new Date(ms).toISOString());
    }
  });

  it('writes what toISOString writes for 5,000 random times, jumping between days and staying in one', () => {
    const random = mulberry32(7);
    let ms = Date.UTC(2026, 10, 27);
    for (let i = 0; i < 5_000; i++) {
      ms = i % 3 === 0 ? Math.floor(random() * YEAR_10000_MS * 1.01) : ms + Math.floor(random() * 5_000);
      expect(isoTime(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('drops a fraction of a millisecond as Date does, also in the day it last wrote, and throws as toISOString does for an invalid time', () => {
    const day = Date.UTC(2026, 0, 1);
    expect(isoTime(day + 5)).toBe('2026-01-01T00:00:00.005Z');
    expect(isoTime(day + 1.7)).toBe(new Date(day + 1.7).toISOString());
    expect(isoTime(day - 0.5)).toBe(new Date(day - 0.5).toISOString());
    expect(() => isoTime(NaN)).toThrow(RangeError);
    expect(() => isoTime(new Date('not a date'))).toThrow(RangeError);
    expect(() => isoTime(8.64e15 + 1)).toThrow(RangeError);
  });
});

describe('parseIsoTime', () => {
  it('reads what Date.parse reads, for its own texts and for the ones it hands to Date.parse', () => {
    const texts = [
      '2026-11-27T09:13:24.123Z',
      '2026-11-27T09:13:24.124Z',
      '2026-11-27T23:59:59.999Z',
      '2026-11-28T00:00:00.000Z',
      '2026-11-27T24:00:00.000Z',
      '2026-11-27T09:60:00.000Z',
      '2026-11-27T09:13:60.000Z',
      '2026-11-27T09:13:24.12xZ',
      '2026-11-27T09:13:24.123+01:00',
      '2026-11-27T09:13:24Z',
      '2026-11-27T9:13:24.1234Z',
      '2026-02-30T00:00:00.000Z',
      '2026-11-27',
      '+010000-01-01T00:00:00.000Z',
      '1969-12-31T23:59:59.999Z',
      '2026-11-27 09:13:24.123Z',
      '2026-11-27T09-13-24.123Z',
      'garbage that is 24 long.',
      '',
    ];
    for (const text of [...texts, ...texts]) expect(parseIsoTime(text)).toEqual(Date.parse(text));
  });

  it('reads back every time isoTime wrote, over days and years in any order', () => {
    const random = mulberry32(11);
    for (let i = 0; i < 5_000; i++) {
      const ms =
        i % 5 === 0 ? Math.floor(random() * YEAR_10000_MS) : Date.UTC(2026, 10, 27) + Math.floor(random() * 3 * 86_400_000);
      const text = isoTime(ms);
      expect(parseIsoTime(text)).toBe(ms);
      expect(parseIsoTime(text)).toBe(Date.parse(text));
    }
  });

  it('answers what Date.parse answers for a value that is not a string (a field missing from a stored event)', () => {
    for (const value of [undefined, null, 0, 1_795_000_000_000, {}, []]) {
      expect(parseIsoTime(value as unknown as string)).toEqual(Date.parse(value as unknown as string));
    }
  });

  it('reads every day of every month, the overflowing 29th to 31st too, as Date.parse does, around every leap rule', () => {
    const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
    const differing: string[] = [];
    for (const year of [0, 1, 99, 100, 400, 1600, 1899, 1900, 1969, 1970, 1999, 2000, 2024, 2026, 2100, 2400, 9999]) {
      for (let month = 0; month <= 13; month++) {
        for (let day = 0; day <= 32; day++) {
          for (const time of ['00:00:00.000', '23:59:59.999']) {
            const text = `${pad(year, 4)}-${pad(month)}-${pad(day)}T${time}Z`;
            if (!Object.is(parseIsoTime(text), Date.parse(text))) differing.push(text);
          }
        }
      }
    }
    expect(differing).toEqual([]);
  });

  it('reads deadlines on the next day alternating with times of the day before (a hold or a token near midnight)', () => {
    const texts = ['2026-01-01T23:58:00.000Z', '2026-01-02T00:03:00.000Z'];
    for (let i = 0; i < 1000; i++) expect(parseIsoTime(texts[i % 2])).toBe(Date.parse(texts[i % 2]));
  });

  it('does not carry a remembered day over to another day that shares no prefix', () => {
    expect(parseIsoTime('2026-11-27T10:00:00.000Z')).toBe(Date.UTC(2026, 10, 27, 10));
    expect(parseIsoTime('2026-11-28T10:00:00.000Z')).toBe(Date.UTC(2026, 10, 28, 10));
    expect(parseIsoTime('2026-11-27T10:00:00.000Z')).toBe(Date.UTC(2026, 10, 27, 10));
  });
});
