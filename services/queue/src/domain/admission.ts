import { TokenActivated } from '@concert/contracts';

export interface WaitingCandidate {
  tokenId: string;
  userId: string;
}

/**
 * Who gets in now: the first waiting tokens in ticket order, up to the free slots.
 * `candidates` must already be in ticket order and hold only tokens still waiting.
 */
export function admit(
  candidates: WaitingCandidate[],
  activeCount: number,
  maxActive: number,
  now: Date,
  activeTtlSeconds: number,
): TokenActivated[] {
  const free = Math.max(0, maxActive - activeCount);
  const expiresAt = new Date(now.getTime() + activeTtlSeconds * 1000).toISOString();
  return candidates.slice(0, free).map((c) => ({
    type: 'TokenActivated',
    data: { tokenId: c.tokenId, userId: c.userId, activatedAt: now.toISOString(), expiresAt },
  }));
}

/** Whole minutes until a token at `position` gets in, from the measured admission rate (per minute). */
export function estimateWaitMinutes(position: number, admissionsPerMinute: number): number {
  if (position <= 0) return 0;
  if (admissionsPerMinute <= 0) return position;
  return Math.max(1, Math.ceil(position / admissionsPerMinute));
}
