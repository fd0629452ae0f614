import { StoredEvent } from '@concert/contracts';
import { decodeEvent, encodeEvent, EVENT_HEADERS, PoisonMessageError } from './event-codec';

const event: StoredEvent = {
  id: '7b0c1f5e-9d1e-4a57-9a51-0e6c3f1f9a11',
  type: 'SeatHeld',
  version: 1,
  data: { reservationId: 'r1', seatNumber: 7 },
  metadata: { occurredAt: '2030-01-01T00:00:00.000Z', correlationId: 'c', causationId: 'c' },
  streamId: 'booking-seat-1:2030-01-01:7',
  revision: 3,
  position: 42,
};

describe('event messages', () => {
  it('are keyed by stream id and carry the stored event as JSON', () => {
    const message = encodeEvent(event);
    expect(message.key).toBe(event.streamId);
    expect(message.headers).toMatchObject({ [EVENT_HEADERS.id]: event.id, [EVENT_HEADERS.type]: 'SeatHeld' });
    expect(decodeEvent({ value: Buffer.from(message.value as string) })).toEqual(event);
  });

  it.each([
    ['no value', null],
    ['not JSON', Buffer.from('hello')],
    ['JSON but not an event', Buffer.from('{"id":"x"}')],
    ['a JSON array', Buffer.from('[1,2]')],
  ])('reject %s as poison (no retry can fix it)', (_what, value) => {
    expect(() => decodeEvent({ value })).toThrow(PoisonMessageError);
  });
});
