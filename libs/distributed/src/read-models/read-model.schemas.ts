import { Connection, Model, Schema } from 'mongoose';
import { ReservationStatus, TokenExpiryReason, TokenStatus } from '@concert/contracts';
import { ContextName } from '../contexts';

/** One wallet per user. Totals let a reader check balance = charged − debited + refunded. */
export interface BalanceDoc {
  _id: string;
  userId: string;
  balance: number;
  charged: number;
  debited: number;
  refunded: number;
  /** Revision of the wallet stream's last event applied: the idempotency guard. */
  revision: number;
}

export type SeatStatus = 'FREE' | 'HELD' | 'SOLD';

/** One seat per schedule; `_id` is the seat's stream id. */
export interface SeatDoc {
  _id: string;
  concertId: number;
  date: string;
  seatNumber: number;
  price: number;
  /** As recorded: a HELD seat whose `heldUntil` has passed is free for readers that apply the clock. */
  status: SeatStatus;
  reservationId: string | null;
  userId: string | null;
  heldUntil: string | null;
  paymentId: string | null;
  /** Revision of the seat stream's last event applied (-1: only the schedule is known). */
  revision: number;
}

export interface ReservationDoc {
  _id: string;
  userId: string;
  concertId: number;
  date: string;
  seatNumber: number;
  price: number;
  seatStreamId: string;
  status: ReservationStatus;
  heldAt: string;
  expiresAt: string;
  endedAt: string | null;
  paymentId: string | null;
  revision: number;
}

export interface QueueTokenDoc {
  _id: string;
  userId: string;
  status: TokenStatus;
  issuedAt?: string;
  activatedAt?: string;
  expiresAt?: string;
  expiredAt?: string;
  expiryReason?: TokenExpiryReason;
}

export interface ReadModelDocs {
  balances: BalanceDoc;
  seats: SeatDoc;
  reservations: ReservationDoc;
  queueTokens: QueueTokenDoc;
}
export type ReadModelName = keyof ReadModelDocs;

/** Collection names (infra/mongo/init.js creates the same ones). */
export const COLLECTIONS: Record<ReadModelName, string> = {
  balances: 'balances',
  seats: 'seats',
  reservations: 'reservations',
  queueTokens: 'queue_tokens',
};

export const READ_MODELS_OF: Record<ContextName, ReadModelName[]> = {
  wallet: ['balances'],
  booking: ['seats', 'reservations'],
  queue: ['queueTokens'],
};

const nullableString = { type: String, default: undefined };

// No defaults anywhere: mongoose would add them to upserts, and every field must come from an event.
const options = { versionKey: false as const, strict: true, autoIndex: false, id: false };

const balanceSchema = new Schema<BalanceDoc>(
  {
    _id: String,
    userId: String,
    balance: Number,
    charged: Number,
    debited: Number,
    refunded: Number,
    revision: Number,
  },
  options,
);

const seatSchema = new Schema<SeatDoc>(
  {
    _id: String,
    concertId: Number,
    date: String,
    seatNumber: Number,
    price: Number,
    status: String,
    reservationId: nullableString,
    userId: nullableString,
    heldUntil: nullableString,
    paymentId: nullableString,
    revision: Number,
  },
  options,
);
seatSchema.index({ concertId: 1, date: 1, seatNumber: 1 }, { unique: true });

const reservationSchema = new Schema<ReservationDoc>(
  {
    _id: String,
    userId: String,
    concertId: Number,
    date: String,
    seatNumber: Number,
    price: Number,
    seatStreamId: String,
    status: String,
    heldAt: String,
    expiresAt: String,
    endedAt: nullableString,
    paymentId: nullableString,
    revision: Number,
  },
  options,
);
reservationSchema.index({ userId: 1 });

const queueTokenSchema = new Schema<QueueTokenDoc>(
  {
    _id: String,
    userId: String,
    status: String,
    issuedAt: String,
    activatedAt: String,
    expiresAt: String,
    expiredAt: String,
    expiryReason: String,
  },
  options,
);
queueTokenSchema.index({ userId: 1 });

export type ReadModelModels = { [K in ReadModelName]: Model<ReadModelDocs[K]> };

/** The read models' mongoose models on one connection. */
export function readModelModels(connection: Connection): ReadModelModels {
  const model = <T>(name: string, schema: Schema<T>, collection: string): Model<T> =>
    (connection.models[name] as Model<T> | undefined) ?? connection.model<T>(name, schema, collection);
  return {
    balances: model('Balance', balanceSchema, COLLECTIONS.balances),
    seats: model('Seat', seatSchema, COLLECTIONS.seats),
    reservations: model('Reservation', reservationSchema, COLLECTIONS.reservations),
    queueTokens: model('QueueToken', queueTokenSchema, COLLECTIONS.queueTokens),
  };
}
