import { ErrorCode, HoldData, SeatHeld, SeatHoldCancelled, SeatHoldExpired, SeatSold } from '@concert/contracts';
import { deciderSpec } from '@concert/testing';
import { HoldSeat, seatDecider } from './seat.decider';

const T0 = Date.parse('2030-05-01T10:00:00.000Z');
const t = (seconds: number): Date => new Date(T0 + seconds * 1000);
const DATE = '2030-06-01';
const alice = '11111111-1111-4111-8111-111111111111';
const bob = '22222222-2222-4222-8222-222222222222';
const r1 = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const r2 = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';
const p1 = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
const p2 = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd';

const { given } = deciderSpec(seatDecider);

const hold = (over: Partial<HoldData> = {}): HoldData => ({
  reservationId: r1,
  userId: alice,
  concertId: 1,
  date: DATE,
  seatNumber: 7,
  price: 150_000,
  heldAt: t(0).toISOString(),
  expiresAt: t(300).toISOString(),
  ...over,
});
const seatHeld = (over: Partial<HoldData> = {}): SeatHeld => ({ type: 'SeatHeld', data: hold(over) });
const holdSeat = (over: Partial<HoldSeat> = {}): HoldSeat => ({
  type: 'HoldSeat',
  reservationId: r1,
  userId: alice,
  concertId: 1,
  date: DATE,
  seatNumber: 7,
  price: 150_000,
  now: t(0),
  ttlSeconds: 300,
  ...over,
});
const expired = (reservationId: string, userId: string, expiresAt: Date, now: Date): SeatHoldExpired => ({
  type: 'SeatHoldExpired',
  data: { reservationId, userId, expiresAt: expiresAt.toISOString(), expiredAt: now.toISOString() },
});
const cancelled = (reservationId = r1, userId = alice, now = t(10)): SeatHoldCancelled => ({
  type: 'SeatHoldCancelled',
  data: { reservationId, userId, cancelledAt: now.toISOString() },
});
const sold = (reservationId = r1, paymentId = p1, now = t(20)): SeatSold => ({
  type: 'SeatSold',
  data: { reservationId, userId: alice, paymentId, price: 150_000, soldAt: now.toISOString() },
});

describe('seat decider', () => {
  describe('HoldSeat', () => {
    it('holds a free seat until now + TTL', () => {
      given([]).when(holdSeat()).then([seatHeld()]);
    });

    it('refuses a seat somebody holds', () => {
      given([seatHeld()])
        .when(holdSeat({ reservationId: r2, userId: bob, now: t(299) }))
        .thenThrows(ErrorCode.SeatAlreadyReserved);
    });

    it('refuses the holder a second hold of the same seat', () => {
      given([seatHeld()])
        .when(holdSeat({ reservationId: r2, now: t(1) }))
        .thenThrows(ErrorCode.SeatAlreadyReserved);
    });

    it('records the expiry and holds again once the deadline has passed (deadline itself included)', () => {
      given([seatHeld()])
        .when(holdSeat({ reservationId: r2, userId: bob, now: t(300) }))
        .then([
          expired(r1, alice, t(300), t(300)),
          seatHeld({ reservationId: r2, userId: bob, heldAt: t(300).toISOString(), expiresAt: t(600).toISOString() }),
        ]);
    });

    it('holds a seat freed by a cancel or a recorded expiry', () => {
      const next = holdSeat({ reservationId: r2, userId: bob, now: t(30) });
      const heldByBob = seatHeld({
        reservationId: r2,
        userId: bob,
        heldAt: t(30).toISOString(),
        expiresAt: t(330).toISOString(),
      });
      given([seatHeld(), cancelled()]).when(next).then([heldByBob]);
      given([seatHeld(), expired(r1, alice, t(300), t(301))])
        .when(next)
        .then([heldByBob]);
    });

    it('never holds a sold seat, however late', () => {
      given([seatHeld(), sold()])
        .when(holdSeat({ reservationId: r2, userId: bob, now: t(100_000) }))
        .thenThrows(ErrorCode.SeatAlreadyReserved);
    });

    it('refuses a seat of a date that has passed', () => {
      given([])
        .when(holdSeat({ date: '2030-04-30' }))
        .thenThrows(ErrorCode.ScheduleNotFound);
      given([])
        .when(holdSeat({ date: '2030-05-01' }))
        .then([seatHeld({ date: '2030-05-01' })]);
    });
  });

  describe('CancelHold', () => {
    it('frees the seat for the holder', () => {
      given([seatHeld()])
        .when({ type: 'CancelHold', reservationId: r1, userId: alice, now: t(10) })
        .then([cancelled()]);
    });

    it('hides the hold from anybody else', () => {
      given([seatHeld()])
        .when({ type: 'CancelHold', reservationId: r1, userId: bob, now: t(10) })
        .thenThrows(ErrorCode.ReservationNotFound);
    });

    it('answers expired once the deadline has passed', () => {
      given([seatHeld()])
        .when({ type: 'CancelHold', reservationId: r1, userId: alice, now: t(300) })
        .thenThrows(ErrorCode.ReservationExpired);
    });

    it('cannot cancel a sold seat', () => {
      given([seatHeld(), sold()])
        .when({ type: 'CancelHold', reservationId: r1, userId: alice, now: t(30) })
        .thenThrows(ErrorCode.ReservationNotActive);
    });

    it('cannot cancel an old reservation on a seat now held by someone else', () => {
      given([seatHeld(), cancelled(), seatHeld({ reservationId: r2, userId: bob })])
        .when({ type: 'CancelHold', reservationId: r1, userId: alice, now: t(30) })
        .thenThrows(ErrorCode.ReservationNotActive);
    });
  });

  describe('ConfirmSale', () => {
    it('sells a live hold to its holder at the held price', () => {
      given([seatHeld()])
        .when({ type: 'ConfirmSale', reservationId: r1, paymentId: p1, now: t(20) })
        .then([sold()]);
    });

    it('is a no-op when the same payment confirms again (saga retry)', () => {
      given([seatHeld(), sold()])
        .when({ type: 'ConfirmSale', reservationId: r1, paymentId: p1, now: t(25) })
        .thenNothing();
    });

    it('never sells a seat twice', () => {
      given([seatHeld(), sold()])
        .when({ type: 'ConfirmSale', reservationId: r1, paymentId: p2, now: t(25) })
        .thenThrows(ErrorCode.ReservationExpired);
      given([seatHeld(), sold()])
        .when({ type: 'ConfirmSale', reservationId: r2, paymentId: p2, now: t(25) })
        .thenThrows(ErrorCode.ReservationExpired);
    });

    it('refuses a hold past its deadline, even before the expiry is recorded', () => {
      given([seatHeld()])
        .when({ type: 'ConfirmSale', reservationId: r1, paymentId: p1, now: t(300) })
        .thenThrows(ErrorCode.ReservationExpired);
    });

    it('refuses a cancelled hold, an expired one and one replaced by another holder', () => {
      const confirm = { type: 'ConfirmSale' as const, reservationId: r1, paymentId: p1, now: t(40) };
      given([seatHeld(), cancelled()]).when(confirm).thenThrows(ErrorCode.ReservationExpired);
      given([seatHeld(), expired(r1, alice, t(300), t(300))])
        .when(confirm)
        .thenThrows(ErrorCode.ReservationExpired);
      given([seatHeld(), cancelled(), seatHeld({ reservationId: r2, userId: bob })])
        .when(confirm)
        .thenThrows(ErrorCode.ReservationExpired);
    });
  });

  describe('ExpireHold', () => {
    it('does nothing before the deadline', () => {
      given([seatHeld()])
        .when({ type: 'ExpireHold', reservationId: r1, now: t(299) })
        .thenNothing();
    });

    it('records the expiry from the deadline on', () => {
      given([seatHeld()])
        .when({ type: 'ExpireHold', reservationId: r1, now: t(301) })
        .then([expired(r1, alice, t(300), t(301))]);
    });

    it('leaves a sold seat, a cancelled hold and another holder alone', () => {
      const expire = { type: 'ExpireHold' as const, reservationId: r1, now: t(1000) };
      given([seatHeld(), sold()]).when(expire).thenNothing();
      given([seatHeld(), cancelled()]).when(expire).thenNothing();
      given([seatHeld(), cancelled(), seatHeld({ reservationId: r2, userId: bob, expiresAt: t(2000).toISOString() })])
        .when(expire)
        .thenNothing();
    });
  });
});
