import { DomainEvent, EventRef } from './events';

export const QUEUE_CONTEXT = 'queue';
export const QUEUE_TOPIC = 'concert.queue.events';
export const queueUserStream = (userId: string): string => `queue-user-${userId}`;
/** Every activation is appended here with an expected revision: the stream is the cap's single point of truth. */
export const QUEUE_ADMISSION_STREAM = 'queue-admission-line';

export type TokenStatus = 'WAITING' | 'ACTIVE' | 'EXPIRED';
export type TokenExpiryReason = 'ACTIVE_TTL' | 'IDLE' | 'PAID';

export type TokenIssued = DomainEvent<'TokenIssued', { tokenId: string; userId: string; issuedAt: string }>;
export type TokenActivated = DomainEvent<
  'TokenActivated',
  { tokenId: string; userId: string; activatedAt: string; expiresAt: string }
>;
export type TokenExpired = DomainEvent<
  'TokenExpired',
  { tokenId: string; userId: string; reason: TokenExpiryReason; expiredAt: string }
>;
/**
 * A WAITING token's holder is still polling. Recorded at most every third of the idle timeout, so that
 * every queue instance, not only the one that took the polls, knows the place is still wanted.
 */
export type TokenSeen = DomainEvent<'TokenSeen', { tokenId: string; userId: string; seenAt: string }>;
export type QueueEvent = TokenIssued | TokenActivated | TokenExpired | TokenSeen;

export const QueuePatterns = {
  issueToken: 'queue.issue-token',
  tokenStatus: 'queue.token-status',
  releaseToken: 'queue.release-token',
} as const;

export interface IssueTokenRequest {
  userId: string;
}
export interface IssueTokenReply {
  token: string;
  tokenId: string;
  userId: string;
  queuePosition: number;
  estimatedWaitTime: number;
  status: TokenStatus;
}
export interface TokenStatusRequest {
  tokenId: string;
  /** A status poll keeps a WAITING token's place; an internal guard check does not count as one. */
  poll: boolean;
}
export interface TokenStatusReply {
  known: boolean;
  userId?: string;
  queuePosition: number;
  estimatedWaitTime: number;
  status: TokenStatus;
  /** Why an EXPIRED token ended, once that is recorded. */
  endedBy?: TokenExpiryReason;
}
export interface ReleaseTokenRequest {
  userId: string;
  reason: TokenExpiryReason;
  /**
   * The token's end is stored only if this event is stored (the payment's debit, queued in the same
   * tick); otherwise the release fails with RequiredEventMissing and ends nothing.
   */
  after?: EventRef;
}
