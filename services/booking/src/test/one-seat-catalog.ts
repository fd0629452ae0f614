import { concertStream } from '@concert/contracts';
import { envelope, EventStore } from '@concert/event-store';

/** Concert 1 with one date of one seat (number 1, 1,000 won), written straight to the store. */
export async function appendOneSeatCatalog(store: EventStore, date: string, at: Date): Promise<void> {
  await store.append(
    concertStream(1),
    envelope(
      [
        { type: 'ConcertCreated', data: { concertId: 1, title: 't', createdAt: '' } },
        { type: 'ScheduleAdded', data: { concertId: 1, date, seats: [{ seatNumber: 1, price: 1000 }], addedAt: '' } },
      ],
      at,
    ),
    'no_stream',
  );
}
