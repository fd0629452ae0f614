import { isCalendarDate, isPositiveSafeInteger, isUuid, parsePositiveIntParam } from './validation';

describe('validation', () => {
  it.each(['2026-12-24', '2024-02-29', '2000-02-29', '2026-01-31', '1999-12-31'])('isCalendarDate accepts %s', (d) => {
    expect(isCalendarDate(d)).toBe(true);
    expect(isCalendarDate(d)).toBe(true);
  });

  it.each([
    '2026-02-30',
    '2026-02-29',
    '2100-02-29',
    '2026-04-31',
    '2026-13-01',
    '2026-00-10',
    '2026-01-00',
    '2026-1-05',
    '26-01-05',
    '2026/01/05',
    '2026-01-05T00:00:00Z',
    ' 2026-01-05',
    '',
    20260105,
    null,
    undefined,
  ])('isCalendarDate rejects %p', (d) => {
    expect(isCalendarDate(d)).toBe(false);
    expect(isCalendarDate(d)).toBe(false);
  });

  it('isUuid takes any case and rejects near misses', () => {
    expect(isUuid('0b5d8a4e-2f1c-4d7a-9e6b-3c2a1f0e9d8c')).toBe(true);
    expect(isUuid('0B5D8A4E-2F1C-4D7A-9E6B-3C2A1F0E9D8C')).toBe(true);
    expect(isUuid('0b5d8a4e2f1c4d7a9e6b3c2a1f0e9d8c')).toBe(false);
    expect(isUuid('0b5d8a4e-2f1c-4d7a-9e6b-3c2a1f0e9d8')).toBe(false);
    expect(isUuid('not-a-uuid')).toBe(false);
    expect(isUuid(42)).toBe(false);
  });

  it('isPositiveSafeInteger', () => {
    expect(isPositiveSafeInteger(1)).toBe(true);
    expect(isPositiveSafeInteger(Number.MAX_SAFE_INTEGER)).toBe(true);
    for (const v of [0, -1, 1.5, Number.MAX_SAFE_INTEGER + 1, NaN, Infinity, '1', null])
      expect(isPositiveSafeInteger(v)).toBe(false);
  });

  it('parsePositiveIntParam', () => {
    expect(parsePositiveIntParam('1')).toBe(1);
    expect(parsePositiveIntParam('9007199254740991')).toBe(9007199254740991);
    for (const v of ['0', '01', '-1', '1.0', '1e3', ' 1', 'abc', '', '9007199254740993', '99999999999999999', undefined]) {
      expect(parsePositiveIntParam(v)).toBeNull();
    }
  });
});
