/**
 * The events' timestamps: ISO 8601 UTC with milliseconds, exactly as `Date.prototype.toISOString`
 * writes them. These two functions give the very same strings and numbers as `toISOString` and
 * `Date.parse`, about ten times faster (1.2 µs and 0.46 µs per call on the bench machine): a new token
 * writes five timestamps and reads four, a purchase some twenty-five. Both keep the calendar day they
 * last met and compute only the time of day; anything outside the plain form (years before 1970 or
 * after 9999, other spellings) goes to the built-ins.
 */

const DAY_MS = 86_400_000;
/** 10000-01-01T00:00:00.000Z: from there on `toISOString` writes a six-digit, signed year. */
const YEAR_10000_MS = 253_402_300_800_000;
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const THREE_DIGITS = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));

let formattedDay = NaN;
/** `YYYY-MM-DDT` of `formattedDay`. */
let formattedPrefix = '';

/** `time.toISOString()`, for a `Date` or its milliseconds since the epoch (a RangeError for an invalid one). */
export function isoTime(time: Date | number): string {
  const ms = typeof time === 'number' ? time : time.getTime();
  // A fraction of a millisecond (Date drops it), NaN, or a time outside the plain form: the built-in.
  if (!Number.isInteger(ms)) return new Date(ms).toISOString();
  const day = Math.floor(ms / DAY_MS);
  if (day !== formattedDay) {
    if (!(ms >= 0 && ms < YEAR_10000_MS)) return new Date(ms).toISOString();
    formattedPrefix = new Date(day * DAY_MS).toISOString().slice(0, 11);
    formattedDay = day;
  }
  let rest = ms - day * DAY_MS;
  const hours = Math.floor(rest / 3_600_000);
  rest -= hours * 3_600_000;
  const minutes = Math.floor(rest / 60_000);
  rest -= minutes * 60_000;
  const seconds = Math.floor(rest / 1000);
  return `${formattedPrefix}${TWO_DIGITS[hours]}:${TWO_DIGITS[minutes]}:${TWO_DIGITS[seconds]}.${THREE_DIGITS[rest - seconds * 1000]}Z`;
}

/** `YYYY-MM-DDT` of the day last parsed (a character no such text starts with until then). */
let parsedPrefix = '\u0000';
let parsedDayMs = NaN;

/** `Date.parse(text)`: milliseconds since the epoch, or NaN (also for a stored event whose field is not a string). */
export function parseIsoTime(text: string): number {
  if (typeof text !== 'string') return Date.parse(text);
  if (text.length !== 24 || text.charCodeAt(23) !== 90 /* Z */ || !text.startsWith(parsedPrefix)) return parseSlowly(text);
  const hours = twoDigits(text, 11);
  const minutes = twoDigits(text, 14);
  const seconds = twoDigits(text, 17);
  const millis = twoDigits(text, 20) * 10 + digit(text, 22);
  if (
    text.charCodeAt(13) !== 58 /* : */ ||
    text.charCodeAt(16) !== 58 ||
    text.charCodeAt(19) !== 46 /* . */ ||
    !(hours < 24 && minutes < 60 && seconds < 60 && millis < 1000)
  ) {
    return Date.parse(text);
  }
  return parsedDayMs + hours * 3_600_000 + minutes * 60_000 + seconds * 1000 + millis;
}

/** The built-in parse; a plain `YYYY-MM-DDT…Z` text also makes its day the one remembered. */
function parseSlowly(text: string): number {
  const ms = Date.parse(text);
  if (text.length === 24 && text.charCodeAt(10) === 84 /* T */ && ms >= 0 && ms < YEAR_10000_MS) {
    const prefix = text.slice(0, 11);
    const dayMs = Date.parse(`${prefix}00:00:00.000Z`);
    // Only a prefix the built-in itself reads as that day's midnight (it also rejects 2026-02-30).
    if (Number.isInteger(dayMs) && dayMs % DAY_MS === 0 && isoTime(dayMs).startsWith(prefix)) {
      parsedPrefix = prefix;
      parsedDayMs = dayMs;
    }
  }
  return ms;
}

/** The digit at `at`, or NaN (which fails every range check). */
function digit(text: string, at: number): number {
  const d = text.charCodeAt(at) - 48;
  return d >= 0 && d <= 9 ? d : NaN;
}

function twoDigits(text: string, at: number): number {
  return digit(text, at) * 10 + digit(text, at + 1);
}
