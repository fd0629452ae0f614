import { randomUUID } from 'node:crypto';
import { forEachBounded, HttpDriver } from './driver';

export interface IssuedToken {
  userId: string;
  token: string;
  status: string;
}

/** The key the bench gives servers that need catalog administration. */
export const BENCH_ADMIN_KEY = 'bench-admin-key-0123456789';

/** Issues tokens for `count` new users, `concurrency` at a time; fails loudly on any non-200. */
export async function issueTokens(driver: HttpDriver, count: number, concurrency: number): Promise<IssuedToken[]> {
  const out: IssuedToken[] = new Array(count);
  await forEachBounded(count, concurrency, async (i) => {
    const userId = randomUUID();
    const res = await driver.call('POST', '/queue/token', { body: { userId } });
    if (res.status !== 200) throw new Error(`token for ${userId}: ${res.status} ${JSON.stringify(res.body)}`);
    out[i] = { userId, token: res.body.token, status: res.body.status };
  });
  return out;
}

/** The token id (`jti`) and user (`sub`) of a JWT, without verifying it. */
export function claimsOf(token: string): { sub: string; jti: string } {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

/** UTC date `days` from now, YYYY-MM-DD. */
export function dateInDays(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** Creates a concert with `dates.length` schedules of `seatsPerDate` seats through the admin API. */
export async function createConcert(driver: HttpDriver, concertId: number, dates: string[], seatsPerDate: number): Promise<void> {
  const headers = { 'x-admin-key': BENCH_ADMIN_KEY };
  const created = await driver.call('POST', '/admin/concerts', { body: { concertId, title: `Bench ${concertId}` }, headers });
  if (created.status !== 201) throw new Error(`create concert ${concertId}: ${created.status} ${JSON.stringify(created.body)}`);
  const seats = Array.from({ length: seatsPerDate }, (_, i) => ({
    seatNumber: i + 1,
    price: i < seatsPerDate / 5 ? 150_000 : 80_000,
  }));
  for (const date of dates) {
    const added = await driver.call('POST', `/admin/concerts/${concertId}/schedules`, { body: { date, seats }, headers });
    if (added.status !== 201) throw new Error(`add schedule ${date}: ${added.status} ${JSON.stringify(added.body)}`);
  }
}

/** The first date of the seeded demo concert (concert 1, 50 seats a date). */
export async function firstDemoDate(driver: HttpDriver, token: string): Promise<string> {
  return (await demoDates(driver, token, 1))[0];
}

/** The dates of the seeded demo concert with seats left, in order; fails unless there are at least `atLeast`. */
export async function demoDates(driver: HttpDriver, token: string, atLeast: number): Promise<string[]> {
  const res = await driver.call('GET', '/concerts/1/available-dates', { token });
  if (res.status !== 200 || !(res.body.availableDates?.length >= atLeast))
    throw new Error(`available-dates (${atLeast} wanted): ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.availableDates;
}
