export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
  return typeof value === 'string' && UUID_RE.test(value);
}

/** A real calendar date in YYYY-MM-DD form (no 2026-02-30). */
/** Dates already found valid: every request of an on-sale names one of a few dozen. Bounded, cleared when full. */
const validDates = new Set<string>();
const VALID_DATES_KEPT = 4096;

export function isCalendarDate(value: unknown): value is string {
  if (typeof value !== 'string') return false;
  if (validDates.has(value)) return true;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const d = new Date(`${value}T00:00:00Z`);
  const valid = !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === value;
  if (valid) {
    if (validDates.size >= VALID_DATES_KEPT) validDates.clear();
    validDates.add(value);
  }
  return valid;
}

export function isPositiveSafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

/** A positive integer given as the digits of a path or query parameter. */
export function parsePositiveIntParam(value: unknown): number | null {
  if (typeof value !== 'string' || !/^[1-9]\d{0,15}$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}
