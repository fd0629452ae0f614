/**
 * Parses the timestamps the services write (`Date.toISOString()`: `YYYY-MM-DDTHH:mm:ss.sssZ`) in
 * a few integer operations, remembering the last minute seen: consecutive events nearly always
 * share it. Anything else goes to Date.parse.
 */
export class IsoClock {
  private minutePrefix = '';
  private minuteMs = 0;

  parse(s: string): number {
    if (s.length !== 24 || s.charCodeAt(23) !== 90 || s.charCodeAt(19) !== 46) return Date.parse(s);
    if (!s.startsWith(this.minutePrefix) || this.minutePrefix === '') {
      const minute = Date.parse(`${s.slice(0, 16)}:00.000Z`);
      if (minute !== minute) return Date.parse(s);
      this.minutePrefix = s.slice(0, 17);
      this.minuteMs = minute;
    }
    const seconds = digit(s, 17) * 10 + digit(s, 18);
    const millis = digit(s, 20) * 100 + digit(s, 21) * 10 + digit(s, 22);
    if (seconds < 0 || seconds > 59 || millis < 0 || s.charCodeAt(16) !== 58) return Date.parse(s);
    return this.minuteMs + seconds * 1000 + millis;
  }
}

function digit(s: string, i: number): number {
  const d = s.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1000;
}
