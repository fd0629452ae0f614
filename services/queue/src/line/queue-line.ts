import {
  parseIsoTime,
  QUEUE_ADMISSION_STREAM,
  QueueEvent,
  StoredEvent,
  TokenExpiryReason,
  TokenStatus,
  upcast,
} from '@concert/contracts';
import { estimateWaitMinutes, isIdle } from '../domain/admission';
import { Fenwick } from './fenwick';
import { MinHeap } from '@concert/platform';

export interface TokenRecord {
  tokenId: string;
  userId: string;
  /** Ticket number: the order of issue, 1-based. */
  seq: number;
  issuedAt: number;
  status: TokenStatus;
  activatedAt?: number;
  expiresAt?: number;
  expiryReason?: TokenExpiryReason;
  /**
   * When the holder last polled (ms); not an event: polls would flood the log. Set to the fold time
   * when the token is replayed at boot, so the downtime does not count as idle.
   */
  lastSeenAt: number;
  /** When the holder was last recorded as seen (TokenSeen, or the issue): other instances know that much. */
  lastRecordedSeenAt: number;
}

export interface TokenView {
  status: TokenStatus;
  queuePosition: number;
  estimatedWaitTime: number;
}

const RATE_WINDOW_MS = 5 * 60_000;

/** Times in arrival order; old ones drop off the front in O(1) amortised. */
class TimeWindow {
  private times: number[] = [];
  private head = 0;

  push(time: number): void {
    this.times.push(time);
  }

  /** How many times fall after `since`, and the oldest of them. */
  since(since: number): { count: number; oldest?: number } {
    while (this.head < this.times.length && this.times[this.head] <= since) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return { count: this.times.length - this.head, oldest: this.times[this.head] };
  }
}

/**
 * The waiting line as a read model of the queue's events, folded in global order.
 * Every per-token read is O(1) or O(log n): a Fenwick tree counts WAITING tokens by ticket, and the
 * waiting tokens are also kept in the order their holders last polled, so finding the idle ones
 * never walks the line.
 */
export class QueueLine {
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly bySeq: (TokenRecord | undefined)[] = [undefined];
  private readonly latestByUser = new Map<string, string>();
  private readonly waiting = new Fenwick();
  private readonly active = new Set<string>();
  /** Active tokens by expiry time, so the sweeper looks only at those past it (entries of ended tokens are skipped). */
  private readonly activeByExpiry = new MinHeap<TokenRecord>();
  /** WAITING tokens, least recently seen first (a Map keeps insertion order; a poll re-inserts). */
  private readonly waitingBySeen = new Map<string, TokenRecord>();
  /** When active slots were handed back (TTL or payment): each one let the next in line in. */
  private readonly releases = new TimeWindow();
  admissionRevision = -1;
  position = 0;

  /**
   * @param guaranteedRatePerMinute how fast the line moves when nobody pays (the cap over the TTL):
   *   the estimate never assumes a slower line than that.
   */
  constructor(
    private readonly clock: () => number = Date.now,
    private readonly guaranteedRatePerMinute = 10,
  ) {}

  apply(stored: StoredEvent): void {
    const event = upcast<QueueEvent>(stored);
    if (stored.streamId === QUEUE_ADMISSION_STREAM) this.admissionRevision = stored.revision;
    switch (event.type) {
      case 'TokenIssued': {
        if (this.tokens.has(event.data.tokenId)) break;
        const seq = this.bySeq.length;
        const issuedAt = parseIsoTime(event.data.issuedAt);
        const record: TokenRecord = {
          tokenId: event.data.tokenId,
          userId: event.data.userId,
          seq,
          issuedAt,
          status: 'WAITING',
          lastSeenAt: this.clock(),
          lastRecordedSeenAt: issuedAt,
        };
        this.tokens.set(record.tokenId, record);
        this.bySeq.push(record);
        this.latestByUser.set(record.userId, record.tokenId);
        this.waiting.add(seq, 1);
        this.waitingBySeen.set(record.tokenId, record);
        break;
      }
      case 'TokenActivated': {
        const record = this.tokens.get(event.data.tokenId);
        if (!record || record.status !== 'WAITING') break;
        this.leaveWaiting(record);
        record.status = 'ACTIVE';
        record.activatedAt = parseIsoTime(event.data.activatedAt);
        record.expiresAt = parseIsoTime(event.data.expiresAt);
        this.active.add(record.tokenId);
        if (Number.isFinite(record.expiresAt)) this.activeByExpiry.push(record.expiresAt, record);
        break;
      }
      case 'TokenExpired': {
        const record = this.tokens.get(event.data.tokenId);
        if (!record || record.status === 'EXPIRED') break;
        if (record.status === 'WAITING') this.leaveWaiting(record);
        if (record.status === 'ACTIVE') {
          this.active.delete(record.tokenId);
          this.releases.push(parseIsoTime(event.data.expiredAt));
        }
        record.status = 'EXPIRED';
        record.expiryReason = event.data.reason;
        break;
      }
      case 'TokenSeen': {
        const record = this.tokens.get(event.data.tokenId);
        if (!record || record.status !== 'WAITING') break;
        const seenAt = parseIsoTime(event.data.seenAt);
        record.lastRecordedSeenAt = Math.max(record.lastRecordedSeenAt, seenAt);
        if (seenAt > record.lastSeenAt) this.markSeen(record, seenAt);
        break;
      }
    }
    this.position = stored.position;
  }

  private leaveWaiting(record: TokenRecord): void {
    this.waiting.add(record.seq, -1);
    this.waitingBySeen.delete(record.tokenId);
  }

  get(tokenId: string): TokenRecord | undefined {
    return this.tokens.get(tokenId);
  }

  latestOf(userId: string): TokenRecord | undefined {
    const id = this.latestByUser.get(userId);
    return id ? this.tokens.get(id) : undefined;
  }

  /** A poll: a token still WAITING keeps its place for another idle period. O(1). */
  touch(record: TokenRecord, now: number, idleTimeoutMs: number): void {
    if (this.effectiveStatus(record, now, idleTimeoutMs) !== 'WAITING' || now <= record.lastSeenAt) return;
    this.markSeen(record, now);
  }

  private markSeen(record: TokenRecord, at: number): void {
    record.lastSeenAt = at;
    this.waitingBySeen.delete(record.tokenId);
    this.waitingBySeen.set(record.tokenId, record);
  }

  /** A WAITING token seen here but not recorded for a third of the idle timeout: time to record it. */
  seenUnrecorded(record: TokenRecord, idleTimeoutMs: number): boolean {
    return record.status === 'WAITING' && record.lastSeenAt - record.lastRecordedSeenAt >= idleTimeoutMs / 3;
  }

  /** Status as the clock sees it: a token past its TTL or idle limit is over even before that is recorded. */
  effectiveStatus(record: TokenRecord, now: number, idleTimeoutMs: number): TokenStatus {
    if (record.status === 'ACTIVE' && record.expiresAt !== undefined && now >= record.expiresAt) return 'EXPIRED';
    if (record.status === 'WAITING' && isIdle(record.lastSeenAt, now, idleTimeoutMs)) return 'EXPIRED';
    return record.status;
  }

  overReason(record: TokenRecord, now: number, idleTimeoutMs: number): TokenExpiryReason | undefined {
    if (this.effectiveStatus(record, now, idleTimeoutMs) !== 'EXPIRED' || record.status === 'EXPIRED') return undefined;
    return record.status === 'ACTIVE' ? 'ACTIVE_TTL' : 'IDLE';
  }

  /** What the holder is told: status, 1-based rank among WAITING tokens and the wait in minutes. O(log n). */
  view(record: TokenRecord, now: number, idleTimeoutMs: number): TokenView {
    const status = this.effectiveStatus(record, now, idleTimeoutMs);
    const queuePosition = status === 'WAITING' ? this.rank(record) : 0;
    return { status, queuePosition, estimatedWaitTime: estimateWaitMinutes(queuePosition, this.admissionsPerMinute(now)) };
  }

  /** 1-based rank among WAITING tokens, by ticket (idle ones not yet recorded still count). */
  rank(record: TokenRecord): number {
    return record.status === 'WAITING' ? this.waiting.prefix(record.seq) : 0;
  }

  activeCount(): number {
    return this.active.size;
  }

  waitingCount(): number {
    return this.waitingBySeen.size;
  }

  /** The WAITING tokens in ticket order, each found in O(log n); read it only as far as needed. */
  *waitingInTicketOrder(): Generator<TokenRecord> {
    const total = this.waitingCount();
    for (let k = 1; k <= total; k++) {
      const record = this.bySeq[this.waiting.findKth(k)];
      if (record) yield record;
    }
  }

  /**
   * Active tokens past their TTL: the sweeper records their expiry. O(k log n) for the k that are due, not
   * a walk over every active token four times a second. A token stays due until its expiry is recorded:
   * the ones handed out here go back on the heap and come out again at the next sweep if still ACTIVE.
   */
  activePastTtl(now: number): TokenRecord[] {
    const out: TokenRecord[] = [];
    while (this.activeByExpiry.size > 0 && this.activeByExpiry.peekKey() <= now) {
      const record = this.activeByExpiry.pop()!;
      if (record.status === 'ACTIVE' && record.expiresAt !== undefined && now >= record.expiresAt) out.push(record);
    }
    for (const record of out) this.activeByExpiry.push(record.expiresAt!, record);
    return out;
  }

  /** Waiting tokens whose holder stopped polling, least recently seen first; stops at the first one still seen. */
  idleWaiting(now: number, idleTimeoutMs: number): TokenRecord[] {
    const out: TokenRecord[] = [];
    for (const record of this.waitingBySeen.values()) {
      if (!isIdle(record.lastSeenAt, now, idleTimeoutMs)) break;
      out.push(record);
    }
    return out;
  }

  /**
   * How fast the line moves, per minute: each slot handed back (TTL or payment) lets the next one in,
   * so this is the measured admission rate of a full house over the last five minutes. The first fill
   * of an empty house says nothing about it and is left out. Never below the guaranteed rate.
   */
  admissionsPerMinute(now: number): number {
    const { count, oldest } = this.releases.since(now - RATE_WINDOW_MS);
    if (count === 0 || oldest === undefined) return this.guaranteedRatePerMinute;
    const measured = (count / Math.max(60_000, now - oldest)) * 60_000;
    return Math.max(measured, this.guaranteedRatePerMinute);
  }
}
