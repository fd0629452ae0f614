import { currentVersion, QUEUE_ADMISSION_STREAM, upcast } from '@concert/contracts';
import { IsoClock } from './iso-time';
import { MinHeap } from '@concert/platform';
import { AuditEvent } from './readers/event-reader';

export type CheckId = 'seats' | 'balances' | 'debits' | 'holds' | 'tokens';

export const CHECKS: Record<CheckId, string> = {
  seats: 'no seat sold twice, nor held by two at once',
  balances: 'balance = charges - debits + refunds, never negative, every balanceAfter matches',
  debits: 'every debit ends in exactly one sale or one refund',
  holds: 'no hold left open more than the slack past its expiresAt while the log runs',
  tokens: 'never more ACTIVE tokens than the cap',
};

export interface Violation {
  check: CheckId;
  /** A stable kebab-case name for the broken rule, e.g. `seat-sold-twice`. */
  rule: string;
  message: string;
  streams: string[];
  eventIds: string[];
  /** Global position of the event at which it was found. */
  position: number;
}

export interface InFlightDebit {
  paymentId: string;
  userId: string;
  amount: number;
  debitedAt: string;
  stream: string;
  eventId: string;
}

export interface CheckVerdict {
  id: CheckId;
  rule: string;
  ok: boolean;
  violations: number;
}

export interface WalletTotals {
  balance: number;
  charged: number;
  debited: number;
  refunded: number;
}

export interface AuditTotals {
  events: number;
  streams: number;
  firstPosition: number;
  lastPosition: number;
  /** Earliest and latest metadata.occurredAt seen ("log time"). */
  logStart: string | null;
  logTime: string | null;
  eventsByType: Record<string, number>;
  upcastEvents: number;
  concerts: number;
  schedules: number;
  holds: number;
  openHolds: number;
  seatsSold: number;
  /** Sum of the prices of seats sold. */
  salesAmount: number;
  wallets: number;
  charged: number;
  debited: number;
  refunded: number;
  balanceTotal: number;
  debits: number;
  debitsSold: number;
  debitsRefunded: number;
  debitsInFlight: number;
  tokensIssued: number;
  tokensActivated: number;
  activeTokens: number;
  peakActiveTokens: number;
}

export interface AuditReport {
  ok: boolean;
  /** True when the replay started mid-log (`--from`): state from before it is unknown. */
  partial: boolean;
  totals: AuditTotals;
  checks: CheckVerdict[];
  violations: Violation[];
  /** Violations found beyond `maxViolations` per check: counted, not kept. */
  violationsDropped: number;
  inFlight: InFlightDebit[];
  wallets: Map<string, WalletTotals>;
}

export interface AuditorOptions {
  /** The cap on ACTIVE tokens (QUEUE_MAX_ACTIVE). */
  maxActive: number;
  /** A debit this close to the log's last event, with no outcome yet, is "in flight" (ms). */
  inFlightGraceMs?: number;
  /** How long past expiresAt a hold may stay open while the log runs (ms). */
  holdSlackMs?: number;
  /** Set when the replay does not start at the first event. */
  partial?: boolean;
  maxViolationsPerCheck?: number;
}

export const DEFAULT_IN_FLIGHT_GRACE_MS = 30_000;
export const DEFAULT_HOLD_SLACK_MS = 60_000;

interface Hold {
  reservationId: string;
  userId: string;
  streamId: string;
  eventId: string;
  expiresAt: string;
  expiresAtMs: number;
  open: boolean;
  overdue: Violation | null;
}

interface Seat {
  current: Hold | null;
  saleEventId: string | null;
  saleReservationId: string | null;
}

interface Wallet extends WalletTotals {
  stream: string;
  /** recorded balanceAfter − computed balance, as of the last event; a change is a violation. */
  drift: number;
  negative: boolean;
}

interface Debit {
  paymentId: string;
  /** Null while only a sale or refund naming this payment has been seen. */
  eventId: string | null;
  stream: string;
  userId: string;
  amount: number;
  occurredAt: string;
  occurredAtMs: number;
  sales: string[];
  refunds: string[];
}

/** The event types whose data the checks read; the others are only counted. */
export const AUDITED_TYPES: ReadonlySet<string> = new Set([
  'SeatHeld',
  'SeatHoldCancelled',
  'SeatHoldExpired',
  'SeatSold',
  'WalletCharged',
  'WalletDebited',
  'WalletRefunded',
  'TokenActivated',
  'TokenExpired',
]);

/**
 * Folds the whole log once, in order, checking the ledger's invariants as it goes. Every event
 * costs O(1) (O(log n) for a new hold's deadline) and keeps only what later events can refer to.
 */
export class Auditor {
  private readonly maxActive: number;
  private readonly graceMs: number;
  private readonly slackMs: number;
  private readonly partial: boolean;
  private readonly maxViolations: number;

  private readonly streams = new Set<string>();
  private readonly byType = new Map<string, number>();
  private readonly seats = new Map<string, Seat>();
  private readonly openHolds = new Map<string, Hold>();
  private readonly deadlines = new MinHeap<Hold>();
  private readonly wallets = new Map<string, Wallet>();
  private readonly debits = new Map<string, Debit>();
  private readonly activeTokens = new Set<string>();
  /** Tokens that expired before any activation (idle): a later activation of one is void, as in the queue's line. */
  private readonly endedWhileInactive = new Set<string>();
  private readonly violations: Violation[] = [];
  private readonly eventTimes = new IsoClock();
  private readonly deadlineTimes = new IsoClock();
  private readonly violationCounts: Record<CheckId, number> = { seats: 0, balances: 0, debits: 0, holds: 0, tokens: 0 };

  private events = 0;
  private firstPosition = 0;
  private lastPosition = 0;
  private logStartMs = Infinity;
  private logTimeMs = -Infinity;
  /** The first event after a silence longer than the slack: the system (re)started, holds get a fresh slack. */
  private resumedAtMs = -Infinity;
  private upcastEvents = 0;
  private concerts = 0;
  private schedules = 0;
  private holds = 0;
  private seatsSold = 0;
  private salesAmount = 0;
  private tokensIssued = 0;
  private tokensActivated = 0;
  private peakActive = 0;
  private dropped = 0;

  constructor(options: AuditorOptions) {
    this.maxActive = options.maxActive;
    this.graceMs = options.inFlightGraceMs ?? DEFAULT_IN_FLIGHT_GRACE_MS;
    this.slackMs = options.holdSlackMs ?? DEFAULT_HOLD_SLACK_MS;
    this.partial = options.partial ?? false;
    this.maxViolations = options.maxViolationsPerCheck ?? 1000;
  }

  applyPage(events: AuditEvent[]): void {
    for (let i = 0; i < events.length; i++) this.apply(events[i]);
  }

  apply(e: AuditEvent): void {
    this.events++;
    if (this.firstPosition === 0) this.firstPosition = e.position;
    this.lastPosition = e.position;
    this.streams.add(e.streamId);
    this.byType.set(e.type, (this.byType.get(e.type) ?? 0) + 1);
    this.advanceClock(e.occurredAt);

    switch (e.type) {
      case 'ConcertCreated':
        this.concerts++;
        return;
      case 'ScheduleAdded':
        this.schedules++;
        return;
      case 'TokenIssued':
        this.tokensIssued++;
        return;
    }
    let data = e.data;
    if (data === null || typeof data !== 'object') return;
    if (e.version !== currentVersion(e.type)) {
      data = upcast(e).data;
      this.upcastEvents++;
    }

    switch (e.type) {
      case 'SeatHeld':
        this.onSeatHeld(e, data);
        break;
      case 'SeatHoldCancelled':
      case 'SeatHoldExpired':
        this.closeHold(e, data.reservationId);
        break;
      case 'SeatSold':
        this.onSeatSold(e, data);
        break;
      case 'WalletCharged':
        this.onWallet(e, data, +1, 'charged');
        break;
      case 'WalletDebited':
        this.onWallet(e, data, -1, 'debited');
        this.onDebit(e, data);
        break;
      case 'WalletRefunded':
        this.onWallet(e, data, +1, 'refunded');
        this.onRefund(e, data);
        break;
      case 'TokenActivated':
        this.onTokenActivated(e, data);
        break;
      case 'TokenExpired':
        if (!this.activeTokens.delete(data.tokenId)) this.endedWhileInactive.add(data.tokenId);
        break;
    }
  }

  private advanceClock(occurredAt: string): void {
    const ms = this.eventTimes.parse(occurredAt);
    if (ms !== ms) return;
    if (ms < this.logStartMs) this.logStartMs = ms;
    if (ms <= this.logTimeMs) return;
    if (ms - this.logTimeMs > this.slackMs) this.resumedAtMs = ms;
    this.logTimeMs = ms;
    this.flagOverdueHolds();
  }

  /** Pops every hold whose deadline the log has passed; the ones still open broke the rule. */
  private flagOverdueHolds(): void {
    const heap = this.deadlines;
    while (heap.size > 0) {
      const due = Math.max(heap.peekKey(), this.resumedAtMs) + this.slackMs;
      if (due >= this.logTimeMs) return;
      const hold = heap.pop()!;
      if (!hold.open) continue;
      hold.overdue = this.violate(
        'holds',
        'hold-left-open',
        `hold ${hold.reservationId} expired at ${hold.expiresAt} but is still open at log time ${iso(this.logTimeMs)}`,
        [hold.streamId],
        [hold.eventId],
        this.lastPosition,
      );
    }
  }

  private seat(streamId: string): Seat {
    let seat = this.seats.get(streamId);
    if (seat === undefined) {
      seat = { current: null, saleEventId: null, saleReservationId: null };
      this.seats.set(streamId, seat);
    }
    return seat;
  }

  private onSeatHeld(e: AuditEvent, d: any): void {
    this.holds++;
    const seat = this.seat(e.streamId);
    const heldAtMs = this.eventTimes.parse(String(d.heldAt ?? e.occurredAt));
    if (seat.saleEventId !== null) {
      this.violate(
        'seats',
        'held-after-sale',
        `seat ${e.streamId} was held by reservation ${d.reservationId} after its sale to reservation ${seat.saleReservationId}`,
        [e.streamId],
        [seat.saleEventId, e.id],
        e.position,
      );
    }
    const previous = seat.current;
    if (previous !== null && previous.open && heldAtMs < previous.expiresAtMs) {
      this.violate(
        'seats',
        'held-twice',
        `seat ${e.streamId} held by reservation ${d.reservationId} (user ${d.userId}) while reservation ${previous.reservationId} ` +
          `(user ${previous.userId}) still held it until ${previous.expiresAt}`,
        [e.streamId],
        [previous.eventId, e.id],
        e.position,
      );
    }
    const expiresAtMs = this.deadlineTimes.parse(String(d.expiresAt));
    const hold: Hold = {
      reservationId: d.reservationId,
      userId: d.userId,
      streamId: e.streamId,
      eventId: e.id,
      expiresAt: d.expiresAt,
      expiresAtMs,
      open: true,
      overdue: null,
    };
    seat.current = hold;
    this.openHolds.set(hold.reservationId, hold);
    if (expiresAtMs === expiresAtMs) this.deadlines.push(expiresAtMs, hold);
    this.flagOverdueHolds();
  }

  private closeHold(e: AuditEvent, reservationId: string): Hold | undefined {
    const hold = this.openHolds.get(reservationId);
    if (hold === undefined) return undefined;
    hold.open = false;
    this.openHolds.delete(reservationId);
    if (hold.overdue !== null) {
      hold.overdue.message += `; closed late by ${e.type} ${e.id} at ${e.occurredAt}`;
      hold.overdue.eventIds.push(e.id);
    }
    return hold;
  }

  private onSeatSold(e: AuditEvent, d: any): void {
    this.seatsSold++;
    if (typeof d.price === 'number') this.salesAmount += d.price;
    const seat = this.seat(e.streamId);
    const hold = this.closeHold(e, d.reservationId);
    if (seat.saleEventId !== null) {
      this.violate(
        'seats',
        'seat-sold-twice',
        `seat ${e.streamId} sold again to reservation ${d.reservationId} (user ${d.userId}, payment ${d.paymentId}); ` +
          `first sold to reservation ${seat.saleReservationId}`,
        [e.streamId],
        [seat.saleEventId, e.id],
        e.position,
      );
    } else {
      seat.saleEventId = e.id;
      seat.saleReservationId = d.reservationId;
    }
    if ((hold === undefined || hold.streamId !== e.streamId) && !this.partial) {
      this.violate(
        'seats',
        'sold-without-open-hold',
        `seat ${e.streamId} sold to reservation ${d.reservationId}, which held no open hold on it`,
        [e.streamId],
        [e.id],
        e.position,
      );
    }
    const debit = this.debit(d.paymentId, e, d.userId);
    debit.sales.push(e.id);
    if (debit.eventId !== null && debit.userId !== d.userId) {
      this.violate(
        'debits',
        'sold-to-another-user',
        `payment ${d.paymentId} debited user ${debit.userId} but seat ${e.streamId} was sold to user ${d.userId}`,
        [debit.stream, e.streamId],
        [debit.eventId, e.id],
        e.position,
      );
    }
  }

  private onWallet(e: AuditEvent, d: any, sign: 1 | -1, field: 'charged' | 'debited' | 'refunded'): void {
    const userId = String(d.userId);
    const amount = d.amount;
    let wallet = this.wallets.get(userId);
    if (wallet === undefined) {
      wallet = { stream: e.streamId, balance: 0, charged: 0, debited: 0, refunded: 0, drift: 0, negative: false };
      // Mid-log, the balance before the window is whatever the first event says it was.
      if (this.partial && typeof d.balanceAfter === 'number') wallet.balance = d.balanceAfter - sign * amount;
      this.wallets.set(userId, wallet);
    }
    if (!Number.isSafeInteger(amount) || amount < 0 || (field === 'charged' && amount === 0)) {
      this.violate(
        'balances',
        'invalid-amount',
        `${e.type} of ${String(amount)} for user ${userId}`,
        [e.streamId],
        [e.id],
        e.position,
      );
      return;
    }
    wallet[field] += amount;
    wallet.balance += sign * amount;
    const drift = typeof d.balanceAfter === 'number' ? d.balanceAfter - wallet.balance : NaN;
    // Reported where the drift changes, so one bad event does not flag every later one.
    if (!Object.is(drift, wallet.drift)) {
      wallet.drift = drift;
      this.violate(
        'balances',
        'balance-after-mismatch',
        `${e.type} for user ${userId} records balanceAfter ${String(d.balanceAfter)}, but charges - debits + refunds = ${wallet.balance}`,
        [e.streamId],
        [e.id],
        e.position,
      );
    }
    const negative = wallet.balance < 0;
    if (negative && !wallet.negative) {
      this.violate(
        'balances',
        'negative-balance',
        `${e.type} of ${amount} leaves user ${userId} at ${wallet.balance}`,
        [e.streamId],
        [e.id],
        e.position,
      );
    }
    wallet.negative = negative;
  }

  private debit(paymentId: string, e: AuditEvent, userId: string): Debit {
    let debit = this.debits.get(paymentId);
    if (debit === undefined) {
      debit = {
        paymentId,
        eventId: null,
        stream: e.streamId,
        userId,
        amount: 0,
        occurredAt: e.occurredAt,
        occurredAtMs: this.eventTimes.parse(e.occurredAt),
        sales: [],
        refunds: [],
      };
      this.debits.set(paymentId, debit);
    }
    return debit;
  }

  private onDebit(e: AuditEvent, d: any): void {
    const debit = this.debit(d.paymentId, e, d.userId);
    if (debit.eventId !== null) {
      this.violate(
        'debits',
        'debited-twice',
        `payment ${d.paymentId} debited user ${d.userId} again`,
        [debit.stream, e.streamId],
        [debit.eventId, e.id],
        e.position,
      );
      return;
    }
    debit.eventId = e.id;
    debit.stream = e.streamId;
    debit.userId = d.userId;
    debit.amount = d.amount;
    debit.occurredAt = e.occurredAt;
    debit.occurredAtMs = this.eventTimes.parse(e.occurredAt);
  }

  private onRefund(e: AuditEvent, d: any): void {
    const debit = this.debit(d.paymentId, e, d.userId);
    debit.refunds.push(e.id);
    if (debit.eventId !== null && debit.amount !== d.amount) {
      this.violate(
        'debits',
        'refund-amount-mismatch',
        `payment ${d.paymentId} debited ${debit.amount} but refunded ${String(d.amount)}`,
        [debit.stream],
        [debit.eventId, e.id],
        e.position,
      );
    }
  }

  private onTokenActivated(e: AuditEvent, d: any): void {
    this.tokensActivated++;
    const active = this.activeTokens;
    if (active.has(d.tokenId)) return;
    if (this.endedWhileInactive.delete(d.tokenId)) return;
    active.add(d.tokenId);
    if (active.size > this.peakActive) this.peakActive = active.size;
    if (active.size > this.maxActive) {
      this.violate(
        'tokens',
        'too-many-active',
        `token ${d.tokenId} (user ${d.userId}) activated with ${active.size} ACTIVE tokens, cap ${this.maxActive}`,
        [e.streamId === QUEUE_ADMISSION_STREAM ? e.streamId : `${e.streamId} (expected ${QUEUE_ADMISSION_STREAM})`],
        [e.id],
        e.position,
      );
    }
  }

  private violate(
    check: CheckId,
    rule: string,
    message: string,
    streams: string[],
    eventIds: string[],
    position: number,
  ): Violation {
    const violation: Violation = { check, rule, message, streams, eventIds, position };
    if (this.violationCounts[check]++ < this.maxViolations) this.violations.push(violation);
    else this.dropped++;
    return violation;
  }

  /** Closes the books: debits with no outcome, then the report. Call once, after the last event. */
  finish(): AuditReport {
    const inFlight: InFlightDebit[] = [];
    let debitCount = 0;
    let debitsSold = 0;
    let debitsRefunded = 0;
    for (const debit of this.debits.values()) {
      const outcomes = debit.sales.length + debit.refunds.length;
      if (debit.eventId === null) {
        if (!this.partial) {
          this.violate(
            'debits',
            'settled-without-debit',
            `payment ${debit.paymentId} has ${describe(debit)} but no WalletDebited`,
            [debit.stream],
            [...debit.sales, ...debit.refunds],
            this.lastPosition,
          );
        }
        continue;
      }
      debitCount++;
      if (debit.sales.length === 1 && debit.refunds.length === 0) debitsSold++;
      if (debit.refunds.length === 1 && debit.sales.length === 0) debitsRefunded++;
      if (outcomes === 0) {
        if (this.logTimeMs - debit.occurredAtMs <= this.graceMs) {
          inFlight.push({
            paymentId: debit.paymentId,
            userId: debit.userId,
            amount: debit.amount,
            debitedAt: debit.occurredAt,
            stream: debit.stream,
            eventId: debit.eventId,
          });
        } else {
          this.violate(
            'debits',
            'debit-unsettled',
            `payment ${debit.paymentId} debited ${debit.amount} from user ${debit.userId} at ${debit.occurredAt}: no sale and no refund`,
            [debit.stream],
            [debit.eventId],
            this.lastPosition,
          );
        }
      } else if (outcomes > 1) {
        this.violate(
          'debits',
          'debit-settled-twice',
          `payment ${debit.paymentId} debited ${debit.amount} from user ${debit.userId} has ${describe(debit)}`,
          [debit.stream],
          [debit.eventId, ...debit.sales, ...debit.refunds],
          this.lastPosition,
        );
      }
    }

    const wallets = new Map<string, WalletTotals>();
    let charged = 0;
    let debited = 0;
    let refunded = 0;
    let balanceTotal = 0;
    for (const [userId, w] of this.wallets) {
      wallets.set(userId, { balance: w.balance, charged: w.charged, debited: w.debited, refunded: w.refunded });
      charged += w.charged;
      debited += w.debited;
      refunded += w.refunded;
      balanceTotal += w.balance;
    }

    const checks: CheckVerdict[] = (Object.keys(CHECKS) as CheckId[]).map((id) => ({
      id,
      rule: CHECKS[id],
      ok: this.violationCounts[id] === 0,
      violations: this.violationCounts[id],
    }));
    const eventsByType: Record<string, number> = {};
    for (const [type, n] of [...this.byType].sort((a, b) => a[0].localeCompare(b[0]))) eventsByType[type] = n;

    return {
      ok: checks.every((c) => c.ok),
      partial: this.partial,
      totals: {
        events: this.events,
        streams: this.streams.size,
        firstPosition: this.firstPosition,
        lastPosition: this.lastPosition,
        logStart: this.events ? iso(this.logStartMs) : null,
        logTime: this.events ? iso(this.logTimeMs) : null,
        eventsByType,
        upcastEvents: this.upcastEvents,
        concerts: this.concerts,
        schedules: this.schedules,
        holds: this.holds,
        openHolds: this.openHolds.size,
        seatsSold: this.seatsSold,
        salesAmount: this.salesAmount,
        wallets: this.wallets.size,
        charged,
        debited,
        refunded,
        balanceTotal,
        debits: debitCount,
        debitsSold,
        debitsRefunded,
        debitsInFlight: inFlight.length,
        tokensIssued: this.tokensIssued,
        tokensActivated: this.tokensActivated,
        activeTokens: this.activeTokens.size,
        peakActiveTokens: this.peakActive,
      },
      checks,
      violations: [...this.violations].sort((a, b) => a.position - b.position),
      violationsDropped: this.dropped,
      inFlight,
      wallets,
    };
  }
}

function describe(debit: Debit): string {
  return `${debit.sales.length} sale(s) and ${debit.refunds.length} refund(s)`;
}

function iso(ms: number): string {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms);
}
