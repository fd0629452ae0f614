import { isoTime, TokenActivated } from '@concert/contracts';

export interface WaitingCandidate {
  tokenId: string;
  userId: string;
  /** When the holder last polled (ms since the epoch). */
  lastSeenAt: number;
}

export interface AdmissionInput {
  /** Waiting tokens in ticket order, read lazily and only as far as the free slots need. */
  candidates: Iterable<WaitingCandidate>;
  activeCount: number;
  maxActive: number;
  now: Date;
  activeTtlSeconds: number;
  idleTimeoutMs: number;
}

/** A WAITING token whose holder has not polled for longer than the idle limit has lost its place. */
export function isIdle(lastSeenAt: number, now: number, idleTimeoutMs: number): boolean {
  return now - lastSeenAt > idleTimeoutMs;
}

/**
 * Who gets in now: the first waiting tokens in ticket order, up to the free slots.
 * A token whose holder left is passed over even before its expiry is recorded: abandoned tabs waste no slot.
 */
export function admit({
  candidates,
  activeCount,
  maxActive,
  now,
  activeTtlSeconds,
  idleTimeoutMs,
}: AdmissionInput): TokenActivated[] {
  const free = Math.max(0, maxActive - activeCount);
  const events: TokenActivated[] = [];
  if (free === 0) return events;
  const activatedAt = isoTime(now);
  const expiresAt = isoTime(now.getTime() + activeTtlSeconds * 1000);
  for (const c of candidates) {
    if (isIdle(c.lastSeenAt, now.getTime(), idleTimeoutMs)) continue;
    events.push({ type: 'TokenActivated', data: { tokenId: c.tokenId, userId: c.userId, activatedAt, expiresAt } });
    if (events.length === free) break;
  }
  return events;
}

export interface IssueAdmissionInput {
  tokenId: string;
  userId: string;
  /** Tokens waiting for a slot, counting those issued but not yet in the line. */
  waitingCount: number;
  /** ACTIVE tokens, counting those whose activation is on its way to the store. */
  activeCount: number;
  maxActive: number;
  now: Date;
  activeTtlSeconds: number;
}

/**
 * A new token let in with its issue: when nobody waits ahead of it and a slot is free, it needs no
 * admission run (first come, first in still holds: it is first). Otherwise none: it waits its turn.
 */
export function admitOnIssue({
  tokenId,
  userId,
  waitingCount,
  activeCount,
  maxActive,
  now,
  activeTtlSeconds,
}: IssueAdmissionInput): TokenActivated[] {
  if (waitingCount > 0) return [];
  // An admission run with the new token as its only candidate (it has just been seen: never idle).
  return admit({
    candidates: [{ tokenId, userId, lastSeenAt: now.getTime() }],
    activeCount,
    maxActive,
    now,
    activeTtlSeconds,
    idleTimeoutMs: Number.POSITIVE_INFINITY,
  });
}

/** The rate the line moves at when nobody pays: every slot frees by the end of its TTL. */
export function guaranteedAdmissionsPerMinute(maxActive: number, activeTtlSeconds: number): number {
  return (maxActive * 60) / activeTtlSeconds;
}

/** Whole minutes until the token at `position` gets in, at `admissionsPerMinute`; 0 for a token not waiting. */
export function estimateWaitMinutes(position: number, admissionsPerMinute: number): number {
  if (position <= 0) return 0;
  if (!(admissionsPerMinute > 0)) return position;
  return Math.max(1, Math.ceil(position / admissionsPerMinute));
}
