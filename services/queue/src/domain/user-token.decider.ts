import { isoTime, QueueEvent, TokenExpired, TokenExpiryReason, TokenIssued, TokenSeen } from '@concert/contracts';
import { Decider } from '@concert/event-store';

/** One stream per user: the tokens they were issued and how each ended. */
export type UserTokenState =
  { status: 'None' } | { status: 'Live'; tokenId: string; issuedAt: string } | { status: 'Ended'; tokenId: string };

export type IssueToken = {
  type: 'IssueToken';
  userId: string;
  tokenId: string;
  now: Date;
  /** Set by the handler when the live token's admission is over by the clock (TTL, idle) but not yet recorded. */
  liveTokenOver?: TokenExpiryReason;
};
export type ExpireToken = { type: 'ExpireToken'; userId: string; tokenId: string; reason: TokenExpiryReason; now: Date };
export type RecordSeen = { type: 'RecordSeen'; userId: string; tokenId: string; now: Date };
export type UserTokenCommand = IssueToken | ExpireToken | RecordSeen;

type UserTokenEvent = TokenIssued | TokenExpired | TokenSeen;

const expired = (userId: string, tokenId: string, reason: TokenExpiryReason, now: Date): TokenExpired => ({
  type: 'TokenExpired',
  data: { tokenId, userId, reason, expiredAt: isoTime(now) },
});

export const userTokenDecider: Decider<UserTokenState, UserTokenCommand, QueueEvent> = {
  initialState: () => ({ status: 'None' }),

  decide(command, state): UserTokenEvent[] {
    switch (command.type) {
      case 'IssueToken': {
        const issued: TokenIssued = {
          type: 'TokenIssued',
          data: { tokenId: command.tokenId, userId: command.userId, issuedAt: isoTime(command.now) },
        };
        if (state.status !== 'Live') return [issued];
        if (!command.liveTokenOver) return [];
        return [expired(command.userId, state.tokenId, command.liveTokenOver, command.now), issued];
      }
      case 'ExpireToken':
        if (state.status !== 'Live' || state.tokenId !== command.tokenId) return [];
        return [expired(command.userId, command.tokenId, command.reason, command.now)];
      case 'RecordSeen':
        if (state.status !== 'Live' || state.tokenId !== command.tokenId) return [];
        return [{ type: 'TokenSeen', data: { tokenId: command.tokenId, userId: command.userId, seenAt: isoTime(command.now) } }];
      default: {
        const exhaustive: never = command;
        throw new Error(`Unknown command ${JSON.stringify(exhaustive)}`);
      }
    }
  },

  evolve(state, event): UserTokenState {
    switch (event.type) {
      case 'TokenIssued':
        return { status: 'Live', tokenId: event.data.tokenId, issuedAt: event.data.issuedAt };
      case 'TokenExpired':
        return state.status === 'Live' && state.tokenId === event.data.tokenId
          ? { status: 'Ended', tokenId: event.data.tokenId }
          : state;
      default:
        return state;
    }
  },
};
