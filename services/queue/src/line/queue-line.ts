import { QUEUE_ADMISSION_STREAM, QueueEvent, StoredEvent, TokenExpiryReason, TokenStatus, upcast } from '@concert/contracts';
import { WaitingCandidate } from '../domain/admission';
import { Fenwick } from './fenwick';

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
  /** When the holder last polled (ms); not an event: polls would flood the log. Reset at boot. */
  lastSeenAt: number;
}

const RATE_WINDOW_MS = 5 * 60_000;

/**
 * The waiting line as a read model of the queue's events, folded in global order.
 * Status and position are O(1) and O(log n): a Fenwick tree counts WAITING tokens by ticket.
 */
export class QueueLine {
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly bySeq: (TokenRecord | undefined)[] = [undefined];
  private readonly latestByUser = new Map<string, string>();
  private readonly waiting = new Fenwick();
  private readonly active = new Set<string>();
  private readonly waitingIds = new Set<string>();
  private readonly activations: number[] = [];
  private waitingTotal = 0;
  admissionRevision = -1;
  position = 0;

  constructor(
    private readonly clock: () => number = Date.now,
    private readonly fallbackRatePerMinute = 10,
  ) {}

  apply(stored: StoredEvent): void {
    const event = upcast<QueueEvent>(stored);
    if (stored.streamId === QUEUE_ADMISSION_STREAM) this.admissionRevision = stored.revision;
    switch (event.type) {
      case 'TokenIssued': {
        const seq = this.bySeq.length;
        const record: TokenRecord = {
          tokenId: event.data.tokenId,
          userId: event.data.userId,
          seq,
          issuedAt: Date.parse(event.data.issuedAt),
          status: 'WAITING',
          lastSeenAt: this.clock(),
        };
        this.tokens.set(record.tokenId, record);
        this.bySeq.push(record);
        this.latestByUser.set(record.userId, record.tokenId);
        this.waiting.add(seq, 1);
        this.waitingTotal++;
        this.waitingIds.add(record.tokenId);
        break;
      }
      case 'TokenActivated': {
        const record = this.tokens.get(event.data.tokenId);
        if (!record || record.status !== 'WAITING') break;
        this.leaveWaiting(record);
        record.status = 'ACTIVE';
        record.activatedAt = Date.parse(event.data.activatedAt);
        record.expiresAt = Date.parse(event.data.expiresAt);
        this.active.add(record.tokenId);
        this.activations.push(record.activatedAt);
        break;
      }
      case 'TokenExpired': {
        const record = this.tokens.get(event.data.tokenId);
        if (!record || record.status === 'EXPIRED') break;
        if (record.status === 'WAITING') this.leaveWaiting(record);
        this.active.delete(record.tokenId);
        record.status = 'EXPIRED';
        record.expiryReason = event.data.reason;
        break;
      }
    }
    this.position = stored.position;
  }

  private leaveWaiting(record: TokenRecord): void {
    this.waiting.add(record.seq, -1);
    this.waitingTotal--;
    this.waitingIds.delete(record.tokenId);
  }

  get(tokenId: string): TokenRecord | undefined {
    return this.tokens.get(tokenId);
  }

  latestOf(userId: string): TokenRecord | undefined {
    const id = this.latestByUser.get(userId);
    return id ? this.tokens.get(id) : undefined;
  }

  touch(record: TokenRecord, now: number): void {
    record.lastSeenAt = now;
  }

  /** Status as the clock sees it: a token past its TTL or idle limit is over even before that is recorded. */
  effectiveStatus(record: TokenRecord, now: number, idleTimeoutMs: number): TokenStatus {
    if (record.status === 'ACTIVE' && record.expiresAt !== undefined && now >= record.expiresAt) return 'EXPIRED';
    if (record.status === 'WAITING' && now - record.lastSeenAt > idleTimeoutMs) return 'EXPIRED';
    return record.status;
  }

  overReason(record: TokenRecord, now: number, idleTimeoutMs: number): TokenExpiryReason | undefined {
    if (this.effectiveStatus(record, now, idleTimeoutMs) !== 'EXPIRED' || record.status === 'EXPIRED') return undefined;
    return record.status === 'ACTIVE' ? 'ACTIVE_TTL' : 'IDLE';
  }

  /** 1-based rank among WAITING tokens. */
  rank(record: TokenRecord): number {
    return record.status === 'WAITING' ? this.waiting.prefix(record.seq) : 0;
  }

  activeCount(): number {
    return this.active.size;
  }

  waitingCount(): number {
    return this.waitingTotal;
  }

  /** The first `limit` waiting tokens in ticket order. */
  firstWaiting(limit: number): WaitingCandidate[] {
    const out: WaitingCandidate[] = [];
    for (let k = 1; k <= Math.min(limit, this.waitingTotal); k++) {
      const record = this.bySeq[this.waiting.findKth(k)];
      if (record) out.push({ tokenId: record.tokenId, userId: record.userId });
    }
    return out;
  }

  /** Active tokens past their TTL: the sweeper records their expiry. */
  activePastTtl(now: number): TokenRecord[] {
    const out: TokenRecord[] = [];
    for (const id of this.active) {
      const record = this.tokens.get(id);
      if (record?.expiresAt !== undefined && now >= record.expiresAt) out.push(record);
    }
    return out;
  }

  /** Waiting tokens whose holder stopped polling. One pass per sweep, off the request path. */
  idleWaiting(now: number, idleTimeoutMs: number): TokenRecord[] {
    const out: TokenRecord[] = [];
    for (const id of this.waitingIds) {
      const record = this.tokens.get(id);
      if (record && now - record.lastSeenAt > idleTimeoutMs) out.push(record);
    }
    return out;
  }

  /** Admissions per minute over the last five minutes; before any, the cap over the TTL. */
  admissionsPerMinute(now: number): number {
    while (this.activations.length && this.activations[0] < now - RATE_WINDOW_MS) this.activations.shift();
    if (this.activations.length < 2) return this.fallbackRatePerMinute;
    const span = Math.max(60_000, now - this.activations[0]);
    return (this.activations.length / span) * 60_000;
  }
}
