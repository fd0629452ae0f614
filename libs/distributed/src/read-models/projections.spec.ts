import { StoredEvent } from '@concert/contracts';
import { projectEvent } from './projections';

let position = 0;
const stored = (streamId: string, revision: number, type: string, data: Record<string, unknown>): StoredEvent => ({
  id: `e${++position}`,
  type,
  version: 1,
  data,
  metadata: { occurredAt: '2030-01-01T00:00:00.000Z', correlationId: 'c', causationId: 'c' },
  streamId,
  revision,
  position,
});

describe('projectEvent: event → idempotent read-model writes', () => {
  it('wallet events set the balance behind a stream-revision guard and add to the totals', () => {
    const [op] = projectEvent(
      stored('wallet-account-u1', 4, 'WalletDebited', {
        userId: 'u1',
        paymentId: 'p',
        reservationId: 'r',
        amount: 700,
        balanceAfter: 300,
        debitedAt: 't',
      }),
    );
    expect(op).toEqual({
      model: 'balances',
      filter: { _id: 'u1', revision: { $lt: 4 } },
      update: { $set: { userId: 'u1', balance: 300, revision: 4 }, $inc: { charged: 0, debited: 700, refunded: 0 } },
      upsert: true,
    });
  });

  it('a schedule creates free seats without touching a seat that already has events', () => {
    const ops = projectEvent(
      stored('booking-concert-1', 1, 'ScheduleAdded', {
        concertId: 1,
        date: '2030-02-01',
        seats: [
          { seatNumber: 1, price: 5 },
          { seatNumber: 2, price: 6 },
        ],
        addedAt: 't',
      }),
    );
    expect(ops).toHaveLength(2);
    expect(ops[1]).toEqual({
      model: 'seats',
      filter: { _id: 'booking-seat-1:2030-02-01:2' },
      update: {
        $set: { concertId: 1, date: '2030-02-01', seatNumber: 2, price: 6 },
        $setOnInsert: { status: 'FREE', reservationId: null, userId: null, heldUntil: null, paymentId: null, revision: -1 },
      },
      upsert: true,
    });
  });

  it('a sale confirms the seat and the reservation, each guarded by the seat stream revision', () => {
    const ops = projectEvent(
      stored('booking-seat-1:2030-02-01:2', 2, 'SeatSold', {
        reservationId: 'r1',
        userId: 'u1',
        paymentId: 'p1',
        price: 6,
        soldAt: 't2',
      }),
    );
    expect(ops.map((o) => [o.model, o.filter, o.upsert])).toEqual([
      ['seats', { _id: 'booking-seat-1:2030-02-01:2', revision: { $lt: 2 } }, false],
      ['reservations', { _id: 'r1', revision: { $lt: 2 } }, false],
    ]);
    expect(ops[1].update).toEqual({ $set: { status: 'CONFIRMED', endedAt: 't2', paymentId: 'p1', revision: 2 } });
  });

  it('an activation never revives an expired token (two streams feed a token: only commutative writes)', () => {
    const ops = projectEvent(
      stored('queue-admission-line', 9, 'TokenActivated', { tokenId: 't1', userId: 'u1', activatedAt: 'a', expiresAt: 'b' }),
    );
    expect(ops[1]).toEqual({
      model: 'queueTokens',
      filter: { _id: 't1', status: 'WAITING' },
      update: { $set: { status: 'ACTIVE' } },
      upsert: false,
    });
  });

  it('an old TokenExpired (v1, no reason) is upcast before it is projected', () => {
    const event = { ...stored('queue-user-u1', 1, 'TokenExpired', { tokenId: 't1', userId: 'u1', expiredAt: 'x' }), version: 1 };
    expect(projectEvent(event)[0].update).toEqual({
      $set: { userId: 'u1', status: 'EXPIRED', expiredAt: 'x', expiryReason: 'ACTIVE_TTL' },
    });
  });

  it('events no read model needs make no writes', () => {
    expect(projectEvent(stored('booking-payment-r1', 0, 'PaymentStarted', { paymentId: 'p' }))).toEqual([]);
    expect(projectEvent(stored('booking-concert-1', 0, 'ConcertCreated', { concertId: 1 }))).toEqual([]);
  });
});
