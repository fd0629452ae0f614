import { createHmac } from 'node:crypto';
import { ApiClient, waitFor } from '@concert/testing';

/** What GET /queue/status answers, with the HTTP status beside it. */
export interface QueueView {
  httpStatus: number;
  status: string;
  queuePosition: number;
  estimatedWaitTime: number;
}

export async function queueStatus(api: ApiClient, token: string): Promise<QueueView> {
  const res = await api.withToken(token).get('/queue/status');
  return { httpStatus: res.status, ...res.body };
}

/** Polls the status until `accept` holds; the clock on a loaded box is generous, the spec's bound is the caller's. */
export function statusUntil(
  api: ApiClient,
  token: string,
  accept: (v: QueueView) => boolean,
  timeoutMs = 1500,
): Promise<QueueView> {
  return waitFor(
    async () => {
      const view = await queueStatus(api, token);
      return accept(view) && view;
    },
    timeoutMs,
    50,
  );
}

/** The seed's buying flow for an ACTIVE token: charge the wallet, hold a seat on the first date, pay it. */
export async function buySeat(api: ApiClient, userId: string, token: string, seatNumber: number): Promise<void> {
  const client = api.withToken(token);
  const charge = await client.post(`/users/${userId}/charge`, { amount: 1_000_000 });
  if (charge.status !== 200) throw new Error(`charge: ${charge.status} ${JSON.stringify(charge.body)}`);
  const dates = await client.get('/concerts/1/available-dates');
  if (dates.status !== 200) throw new Error(`dates: ${dates.status} ${JSON.stringify(dates.body)}`);
  const hold = await client.post('/reservations', { concertId: 1, date: dates.body.availableDates[0], seatNumber });
  if (hold.status !== 201) throw new Error(`hold: ${hold.status} ${JSON.stringify(hold.body)}`);
  const paid = await client.post('/payments', { reservationId: hold.body.reservationId });
  if (paid.status !== 200) throw new Error(`pay: ${paid.status} ${JSON.stringify(paid.body)}`);
}

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A JWT with any header and claims, signed HS256 with `secret` (or left unsigned when `secret` is null). */
export function craftJwt(header: Record<string, unknown>, claims: Record<string, unknown>, secret: string | null): string {
  const signingInput = `${b64(header)}.${b64(claims)}`;
  if (secret === null) return `${signingInput}.`;
  return `${signingInput}.${createHmac('sha256', secret).update(signingInput).digest('base64url')}`;
}

export function claimsOf(token: string): { sub: string; jti: string; iat: number } {
  return JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString('utf8'));
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
