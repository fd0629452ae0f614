import { Inject, Injectable, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import {
  DomainError,
  ErrorCode,
  isoTime,
  parseIsoTime,
  paymentStream,
  PaymentReply,
  QueuePatterns,
  ReleaseTokenRequest,
  seatStream,
  WalletPatterns,
  SeatEvent,
  WalletMovementReply,
  DebitRequest,
  RefundRequest,
  walletStream,
} from '@concert/contracts';
import { EventRef, execute, Handled, load, RequiredEventMissingError } from '@concert/event-store';
import { MESSAGE_BUS, MessageBus } from '@concert/bus';
import { PaymentCommand, paymentDecider, PaymentState } from '../domain/payment.decider';
import { seatDecider, SeatState } from '../domain/seat.decider';
import { BookingRuntime } from './booking.runtime';
import { ownReservation } from './reservation.handlers';

/** A saga older than this with no outcome is taken to have lost its process, and is resumed. */
const STALE_MS = 5_000;
const RECOVERY_INTERVAL_MS = 2_000;
/** A hold with less time left than this is confirmed before the buyer's queue slot is released. */
const RELEASE_WITH_SALE_MARGIN_MS = 10_000;

/** The sale and the slot's release queued with the debit, each stored only if it is (startWithDebit). */
interface AfterDebit {
  /** Undefined when the sale was refused because the debit was not stored before it. */
  sold: Promise<Handled<SeatState, SeatEvent> | undefined>;
  /** Whether the slot was released (false: refused or failed; run() releases again). */
  released: Promise<boolean>;
}

/**
 * check hold → debit wallet → confirm seat → release the queue token → completed. Its progress
 * is the payment stream (one per reservation): every step is idempotent by payment id, so after
 * a crash the saga runs again from the top and either finishes or compensates with a refund.
 */
@Injectable()
export class PaymentSaga implements OnApplicationBootstrap, OnModuleDestroy {
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly runtime: BookingRuntime,
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
  ) {}

  /** Every saga a dead process left mid-way is resumed before the app serves requests; stale ones later. */
  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.catchUp();
    await this.recover(0);
    this.timer = setInterval(() => void this.recover(STALE_MS), RECOVERY_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    if (this.timer) clearInterval(this.timer);
  }

  async pay(userId: string, reservationId: string): Promise<PaymentReply> {
    const record = ownReservation(this.runtime, reservationId, userId);
    const stream = paymentStream(reservationId);
    // The buyer hears the answer once the sale is durable; the saga records its completion under the lock
    // after that (a retry waits for it). Should that last step fail, recovery completes it with the same answer.
    let answerGiven = false;
    let answer!: (reply: PaymentReply) => void;
    const answered = new Promise<PaymentReply>((resolve) => {
      answer = (r) => {
        answerGiven = true;
        resolve(r);
      };
    });
    const done = this.runtime.locks.run(stream, async () => {
      // A reservation with no payment folded here has no payment stream yet (the lock makes this process's
      // view current): nothing to read. Another instance's payment would make StartPayment's append conflict.
      const firstTry = !this.runtime.view.payments.has(reservationId);
      const { state } = firstTry
        ? { state: paymentDecider.initialState() }
        : await load(this.runtime.store, stream, paymentDecider);
      if (state.status === 'Completed') return reply(state);
      if (state.status !== 'Started') {
        const now = this.runtime.clock.now();
        const seat = await load(this.runtime.store, seatStream(record.concertId, record.date, record.seatNumber), seatDecider);
        const hold =
          seat.state.status === 'Held' && seat.state.hold.reservationId === reservationId && seat.state.hold.userId === userId
            ? seat.state.hold
            : undefined;
        if (!hold || now.getTime() >= parseIsoTime(hold.expiresAt)) {
          // No usable hold: unless the stream holds a payment this view has not folded yet (another instance's).
          if (firstTry) {
            const stored = (await load(this.runtime.store, stream, paymentDecider)).state;
            if (stored.status === 'Completed') return reply(stored);
            if (stored.status === 'Started') return this.run(stream, answer);
          }
          throw new DomainError(
            hold || record.status !== 'CANCELLED' ? ErrorCode.ReservationExpired : ErrorCode.ReservationNotActive,
          );
        }
        const start: PaymentCommand & { type: 'StartPayment' } = {
          type: 'StartPayment',
          paymentId: randomUUID(),
          reservationId,
          userId,
          amount: hold.price,
          seatStreamId: seatStream(record.concertId, record.date, record.seatNumber),
          now,
        };
        if (firstTry && this.runtime.store.soleWriter) return this.startWithDebit(stream, start, answer);
        await this.step(stream, start, firstTry);
      }
      return this.run(stream, answer);
    });
    done.catch((err: unknown) => {
      if (answerGiven)
        this.runtime.logger.warn(`payment of ${reservationId} answered, completion left to recovery: ${String(err)}`);
    });
    return Promise.race([answered, done]);
  }

  /** The answer of a payment that completed for this reservation, if one did (after a saga still running on it). */
  async completedReply(reservationId: string): Promise<PaymentReply | undefined> {
    const stream = paymentStream(reservationId);
    const { state } = await this.runtime.locks.run(stream, () => load(this.runtime.store, stream, paymentDecider));
    return state.status === 'Completed' ? reply(state) : undefined;
  }

  /**
   * Drives a started payment to its end. Call under the payment stream's lock. `answer` hears the reply as
   * soon as the seat is sold and the queue slot released; the completion is recorded after that.
   * `started`: the payment as just started here, with the debit already asked for (startWithDebit).
   */
  private async run(
    stream: string,
    answer?: (reply: PaymentReply) => void,
    started?: { state: PaymentState; debit: Promise<WalletMovementReply>; withDebit?: AfterDebit },
  ): Promise<PaymentReply> {
    const { state } = started ?? (await load(this.runtime.store, stream, paymentDecider));
    if (state.status === 'Completed') return reply(state);
    if (state.status !== 'Started') {
      throw new DomainError(
        state.status === 'Failed' && state.reason === 'INSUFFICIENT_BALANCE'
          ? ErrorCode.InsufficientBalance
          : ErrorCode.ReservationExpired,
      );
    }
    const { paymentId, userId, reservationId, amount, seatStreamId } = state;
    try {
      await (started
        ? started.debit.catch((err: unknown) => {
            // The wallet could not see PaymentStarted before its debit (another store): it is stored now, ask again.
            if (DomainError.is(err, ErrorCode.RequiredEventMissing)) return this.debit(state);
            throw err;
          })
        : this.debit(state));
    } catch (err) {
      if (!DomainError.is(err, ErrorCode.InsufficientBalance)) throw err;
      await this.step(stream, { type: 'FailPayment', paymentId, reason: 'INSUFFICIENT_BALANCE', now: this.runtime.clock.now() });
      throw err;
    }
    // Once the debit holds, the sale is all but certain: the queue slot is released in the same commit as
    // the seat, unless the hold is close to its deadline (a lapse would refund, and the buyer keeps the slot).
    // Both may already be on their way, queued with the debit (startWithDebit); what did not go with it
    // (the debit stored in a later commit) goes now, the release on the same condition.
    // `releasing` resolves true once a release was asked for (a failed one is only logged), false when
    // the slot is to be released after the sale.
    const now = this.runtime.clock.now();
    const withDebit = started?.withDebit;
    const together = this.releasesWithSale(reservationId, now.getTime());
    const releaseWithSale = (): Promise<boolean> | false => together && this.releaseToken(userId).then(() => true);
    const releasing: Promise<boolean> | false = withDebit
      ? withDebit.released.then((released) => released || releaseWithSale())
      : releaseWithSale();
    let sold: Handled<SeatState, SeatEvent>;
    try {
      sold =
        (withDebit && (await withDebit.sold)) ||
        (await this.runtime.locks.run(seatStreamId, () =>
          execute(this.runtime.store, seatStreamId, seatDecider, { type: 'ConfirmSale', reservationId, paymentId, now }, { now }),
        ));
      if (sold.appended) await this.runtime.catchUp(sold.appended.position);
    } catch (err) {
      await releasing;
      if (!DomainError.is(err, ErrorCode.ReservationExpired)) throw err;
      await this.bus.request<WalletMovementReply>(WalletPatterns.refund, { userId, paymentId } satisfies RefundRequest);
      await this.step(stream, { type: 'RecordRefund', paymentId, now: this.runtime.clock.now() });
      throw err;
    }
    // Released before the completion is recorded, so a crash in between resumes the release too.
    if (!(await releasing)) await this.releaseToken(userId);
    // The time of the sale, also when a resumed saga finds the seat already sold: every answer is the same.
    const paidAt = sold.state.status === 'Sold' ? sold.state.soldAt : isoTime(now);
    answer?.({ paymentId, reservationId, userId, amount, status: 'COMPLETED', paidAt });
    const completed = await this.step(stream, { type: 'CompletePayment', paymentId, now: this.runtime.clock.now(), paidAt });
    if (completed.status !== 'Completed') throw new DomainError(ErrorCode.Internal, 'Payment did not complete');
    return reply(completed);
  }

  /**
   * A first payment on a store that decides appends in the order they are made (`soleWriter`, the embedded
   * mode): PaymentStarted is queued and the wallet's debit asked for in the same tick, on the condition
   * that PaymentStarted is stored before it (`after`). Both usually go in one commit, one commit fewer
   * before the buyer's answer; and a debit is never stored without the saga that recovery resumes.
   */
  private async startWithDebit(
    stream: string,
    start: PaymentCommand & { type: 'StartPayment' },
    answer: (reply: PaymentReply) => void,
  ): Promise<PaymentReply> {
    const startedId = randomUUID();
    const debitId = randomUUID();
    const starting = this.step(stream, start, true, startedId);
    const debit = this.debit(start, { streamId: stream, eventId: startedId }, debitId);
    // Awaited in run(); should the start fail, the debit was refused (its required event is not stored).
    debit.catch(() => undefined);
    const withDebit = this.saleAndReleaseAfterDebit(start, { streamId: walletStream(start.userId), eventId: debitId });
    const state = await starting;
    // Someone else's payment on this stream (another instance's): ours was not stored, nor the debit, nor
    // what was to follow it.
    if (state.status !== 'Started' || state.paymentId !== start.paymentId) return this.run(stream, answer);
    return this.run(stream, answer, { state, debit, withDebit });
  }

  /**
   * The sale and the queue slot's release, queued in the same tick as the debit and each stored only if
   * the debit is (`after`): on a store that commits a tick's appends together, the buyer hears the answer
   * after one commit instead of two, and no seat is ever sold, nor slot given up, on a debit that was not
   * stored. Only where run() would release with the sale (the hold is not close to its deadline). `sold`
   * is undefined and `released` false where the debit was not stored first (refused, or in a later
   * commit): run() then sells and releases as it does without this.
   */
  private saleAndReleaseAfterDebit(start: PaymentCommand & { type: 'StartPayment' }, debit: EventRef): AfterDebit | undefined {
    const { reservationId, paymentId, userId, seatStreamId } = start;
    if (!this.releasesWithSale(reservationId, start.now.getTime())) return undefined;
    const sold = this.runtime.locks
      .run(seatStreamId, () => {
        // Decided when the seat's lock is had, not when the payment started: the hold is judged as of now.
        const now = this.runtime.clock.now();
        return execute(
          this.runtime.store,
          seatStreamId,
          seatDecider,
          { type: 'ConfirmSale', reservationId, paymentId, now },
          { now, after: debit },
        );
      })
      .catch((err: unknown) => {
        if (err instanceof RequiredEventMissingError) return undefined;
        throw err;
      });
    // Awaited in run() once the debit holds; a sale refused by the seat's decider then refunds there.
    sold.catch(() => undefined);
    return { sold, released: this.releaseToken(userId, debit) };
  }

  /** The queue slot goes with the sale: the hold is not within RELEASE_WITH_SALE_MARGIN_MS of its deadline. */
  private releasesWithSale(reservationId: string, nowMs: number): boolean {
    const hold = this.runtime.view.reservations.get(reservationId);
    return hold?.status === 'HELD' && hold.expiresAtMs - nowMs > RELEASE_WITH_SALE_MARGIN_MS;
  }

  /** Asks the wallet to debit the payment's amount (idempotent by payment id); `after`, `eventId`: see DebitRequest. */
  private debit(
    { userId, paymentId, reservationId, amount }: Omit<DebitRequest, 'after' | 'eventId'>,
    after?: DebitRequest['after'],
    eventId?: string,
  ): Promise<WalletMovementReply> {
    return this.bus.request<WalletMovementReply>(WalletPatterns.debit, {
      userId,
      paymentId,
      reservationId,
      amount,
      ...(after && { after }),
      ...(eventId && { eventId }),
    } satisfies DebitRequest);
  }

  private async step(stream: string, command: PaymentCommand, likelyNew = false, eventId?: string): Promise<PaymentState> {
    const result = await execute(this.runtime.store, stream, paymentDecider, command, {
      now: command.now,
      likelyNew,
      eventIds: eventId ? () => eventId : undefined,
    });
    if (result.appended) await this.runtime.catchUp(result.appended.position);
    return result.state;
  }

  /**
   * The buyer is done: their slot goes to the next in line. A failure here never undoes a sale.
   * `after`: only if that event is stored (see ReleaseTokenRequest.after); resolves false when the release
   * did not happen, so that the caller releases again without the condition.
   */
  private async releaseToken(userId: string, after?: EventRef): Promise<boolean> {
    try {
      await this.bus.request(QueuePatterns.releaseToken, {
        userId,
        reason: 'PAID',
        ...(after && { after }),
      } satisfies ReleaseTokenRequest);
      return true;
    } catch (err) {
      if (!(after && DomainError.is(err, ErrorCode.RequiredEventMissing)))
        this.runtime.logger.warn(`token release for ${userId} failed: ${(err as Error).message}`);
      return false;
    }
  }

  /** Resumes sagas whose process died mid-way (all of them at boot, the stale ones later). */
  async recover(olderThanMs: number): Promise<number> {
    const now = this.runtime.clock.now().getTime();
    const stuck = [...this.runtime.view.payments.values()].filter(
      (p) => p.status === 'Started' && now - p.startedAtMs >= olderThanMs,
    );
    for (const p of stuck) {
      const stream = paymentStream(p.reservationId);
      await this.runtime.locks
        .run(stream, () => this.run(stream))
        .catch((err: unknown) => {
          if (!(err instanceof DomainError)) this.runtime.logger.error(`payment ${p.paymentId} recovery failed: ${String(err)}`);
        });
    }
    return stuck.length;
  }
}

function reply(state: PaymentState & { status: 'Completed' }): PaymentReply {
  return {
    paymentId: state.paymentId,
    reservationId: state.reservationId,
    userId: state.userId,
    amount: state.amount,
    status: 'COMPLETED',
    paidAt: state.paidAt,
  };
}
