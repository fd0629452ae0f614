import {
  CatalogEvent,
  PaymentEvent,
  QueueEvent,
  SeatEvent,
  seatStream,
  StoredEvent,
  upcast,
  WalletEvent,
} from '@concert/contracts';
import { ReadModelName } from './read-model.schemas';

/**
 * One write to a read model. Every op is idempotent, so a redelivered event changes nothing:
 * stream-owned documents carry the stream revision of their last event and only take a newer one
 * (`revision < r` in the filter; an upsert that misses it hits the unique _id and is skipped);
 * queue tokens, fed by two streams, only take commutative writes (set-once fields, terminal EXPIRED).
 */
export interface ReadModelOp {
  model: ReadModelName;
  filter: Record<string, unknown>;
  update: Record<string, unknown>;
  upsert: boolean;
}

/** The writes one event makes to the read models (none for events no read model needs). */
export function projectEvent(stored: StoredEvent): ReadModelOp[] {
  const event = upcast<WalletEvent | CatalogEvent | SeatEvent | PaymentEvent | QueueEvent>(stored);
  const r = stored.revision;
  const newer = (id: string) => ({ _id: id, revision: { $lt: r } });
  switch (event.type) {
    case 'WalletCharged':
    case 'WalletDebited':
    case 'WalletRefunded': {
      const { userId, amount, balanceAfter } = event.data;
      const inc = {
        charged: event.type === 'WalletCharged' ? amount : 0,
        debited: event.type === 'WalletDebited' ? amount : 0,
        refunded: event.type === 'WalletRefunded' ? amount : 0,
      };
      return [
        {
          model: 'balances',
          filter: newer(userId),
          update: { $set: { userId, balance: balanceAfter, revision: r }, $inc: inc },
          upsert: true,
        },
      ];
    }
    case 'ScheduleAdded': {
      const { concertId, date, seats } = event.data;
      return seats.map((s) => ({
        model: 'seats',
        filter: { _id: seatStream(concertId, date, s.seatNumber) },
        update: {
          $set: { concertId, date, seatNumber: s.seatNumber, price: s.price },
          $setOnInsert: { status: 'FREE', reservationId: null, userId: null, heldUntil: null, paymentId: null, revision: -1 },
        },
        upsert: true,
      }));
    }
    case 'SeatHeld': {
      const h = event.data;
      return [
        {
          model: 'seats',
          filter: newer(stored.streamId),
          update: {
            $set: {
              concertId: h.concertId,
              date: h.date,
              seatNumber: h.seatNumber,
              price: h.price,
              status: 'HELD',
              reservationId: h.reservationId,
              userId: h.userId,
              heldUntil: h.expiresAt,
              paymentId: null,
              revision: r,
            },
          },
          upsert: true,
        },
        {
          model: 'reservations',
          filter: newer(h.reservationId),
          update: {
            $set: {
              userId: h.userId,
              concertId: h.concertId,
              date: h.date,
              seatNumber: h.seatNumber,
              price: h.price,
              seatStreamId: stored.streamId,
              status: 'TEMPORARILY_RESERVED',
              heldAt: h.heldAt,
              expiresAt: h.expiresAt,
              endedAt: null,
              paymentId: null,
              revision: r,
            },
          },
          upsert: true,
        },
      ];
    }
    case 'SeatHoldCancelled':
    case 'SeatHoldExpired': {
      const cancelled = event.type === 'SeatHoldCancelled';
      const endedAt = event.type === 'SeatHoldCancelled' ? event.data.cancelledAt : event.data.expiredAt;
      return [
        {
          model: 'seats',
          filter: newer(stored.streamId),
          update: { $set: { status: 'FREE', reservationId: null, userId: null, heldUntil: null, paymentId: null, revision: r } },
          upsert: false,
        },
        {
          model: 'reservations',
          filter: newer(event.data.reservationId),
          update: { $set: { status: cancelled ? 'CANCELLED' : 'EXPIRED', endedAt, revision: r } },
          upsert: false,
        },
      ];
    }
    case 'SeatSold': {
      const { reservationId, userId, paymentId, soldAt } = event.data;
      return [
        {
          model: 'seats',
          filter: newer(stored.streamId),
          update: { $set: { status: 'SOLD', reservationId, userId, heldUntil: null, paymentId, revision: r } },
          upsert: false,
        },
        {
          model: 'reservations',
          filter: newer(reservationId),
          update: { $set: { status: 'CONFIRMED', endedAt: soldAt, paymentId, revision: r } },
          upsert: false,
        },
      ];
    }
    case 'TokenIssued': {
      const { tokenId, userId, issuedAt } = event.data;
      return [
        {
          model: 'queueTokens',
          filter: { _id: tokenId },
          update: { $set: { userId, issuedAt }, $setOnInsert: { status: 'WAITING' } },
          upsert: true,
        },
      ];
    }
    case 'TokenActivated': {
      const { tokenId, userId, activatedAt, expiresAt } = event.data;
      return [
        {
          model: 'queueTokens',
          filter: { _id: tokenId },
          update: { $set: { userId, activatedAt, expiresAt }, $setOnInsert: { status: 'WAITING' } },
          upsert: true,
        },
        // EXPIRED is terminal: an activation that arrives after the expiry does not revive the token.
        {
          model: 'queueTokens',
          filter: { _id: tokenId, status: 'WAITING' },
          update: { $set: { status: 'ACTIVE' } },
          upsert: false,
        },
      ];
    }
    case 'TokenExpired': {
      const { tokenId, userId, reason, expiredAt } = event.data;
      return [
        {
          model: 'queueTokens',
          filter: { _id: tokenId },
          update: { $set: { userId, status: 'EXPIRED', expiredAt, expiryReason: reason } },
          upsert: true,
        },
      ];
    }
    default:
      return [];
  }
}
