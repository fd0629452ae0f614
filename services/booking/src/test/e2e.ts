import { randomUUID } from 'node:crypto';
import { StoredEvent } from '@concert/contracts';
import { EVENT_STORE, EventStore } from '@concert/event-store';
import { ApiClient, EmbeddedServer } from '@concert/testing';

export const ADMIN_KEY = 'test-admin-key-0123456789';

export function storeOf(server: EmbeddedServer): EventStore {
  return server.app.get<symbol, EventStore>(EVENT_STORE);
}

export function readStream(server: EmbeddedServer, streamId: string): Promise<StoredEvent[]> {
  return storeOf(server).readStream(streamId);
}

/** A fresh user with an ACTIVE queue token. */
export async function activeUser(api: ApiClient): Promise<{ userId: string; client: ApiClient; token: string }> {
  const userId = randomUUID();
  const { client, status, token } = await api.tokenFor(userId);
  if (status !== 'ACTIVE') throw new Error(`token for ${userId} is ${status}`);
  return { userId, client, token };
}

/** `YYYY-MM-DD`, `days` from today (UTC). */
export function dayFromToday(days: number): string {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** Creates a concert with the given dates through the admin API; seats 1..seatCount priced `price`. */
export async function createConcert(
  api: ApiClient,
  concertId: number,
  dates: string[],
  seatCount = 3,
  price = 10_000,
): Promise<void> {
  const admin = { 'X-Admin-Key': ADMIN_KEY };
  const created = await api.post('/admin/concerts', { concertId, title: `Concert ${concertId}` }, admin);
  if (created.status !== 201) throw new Error(`create concert: ${created.status} ${JSON.stringify(created.body)}`);
  for (const date of dates) {
    const seats = Array.from({ length: seatCount }, (_, i) => ({ seatNumber: i + 1, price }));
    const added = await api.post(`/admin/concerts/${concertId}/schedules`, { date, seats }, admin);
    if (added.status !== 201) throw new Error(`add schedule: ${added.status} ${JSON.stringify(added.body)}`);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
