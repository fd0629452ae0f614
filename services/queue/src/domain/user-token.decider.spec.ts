import { QueueEvent, TokenExpired, TokenIssued } from '@concert/contracts';
import { UserTokenCommand, userTokenDecider, UserTokenState } from './user-token.decider';

/** given(events).when(command).then(events): the decider's rules read as examples. */
function given(...history: QueueEvent[]) {
  const state = history.reduce(userTokenDecider.evolve, userTokenDecider.initialState());
  return {
    state,
    when: (command: UserTokenCommand) => ({
      then: (expected: QueueEvent[]) => expect(userTokenDecider.decide(command, state)).toEqual(expected),
    }),
  };
}

const userId = '6f1c2a5e-8d4b-4c3a-9e2f-1a2b3c4d5e6f';
const t = (seconds: number) => new Date(Date.UTC(2030, 0, 1, 0, 0, seconds));
const issued = (tokenId: string, at = t(0)): TokenIssued => ({
  type: 'TokenIssued',
  data: { tokenId, userId, issuedAt: at.toISOString() },
});
const expired = (tokenId: string, reason: TokenExpired['data']['reason'], at: Date): TokenExpired => ({
  type: 'TokenExpired',
  data: { tokenId, userId, reason, expiredAt: at.toISOString() },
});
const issue = (tokenId: string, now: Date, liveTokenOver?: TokenExpired['data']['reason']): UserTokenCommand => ({
  type: 'IssueToken',
  userId,
  tokenId,
  now,
  liveTokenOver,
});
const expire = (tokenId: string, reason: TokenExpired['data']['reason'], now: Date): UserTokenCommand => ({
  type: 'ExpireToken',
  userId,
  tokenId,
  reason,
  now,
});

describe('user token decider', () => {
  describe('IssueToken', () => {
    it('issues a first token', () => {
      given()
        .when(issue('a', t(1)))
        .then([issued('a', t(1))]);
    });

    it('issues nothing while the live token is still on: the user gets it back', () => {
      given(issued('a'))
        .when(issue('b', t(5)))
        .then([]);
    });

    it('ends a live token the clock has ended and issues a new one behind it', () => {
      given(issued('a'))
        .when(issue('b', t(5), 'IDLE'))
        .then([expired('a', 'IDLE', t(5)), issued('b', t(5))]);
      given(issued('a'))
        .when(issue('b', t(5), 'ACTIVE_TTL'))
        .then([expired('a', 'ACTIVE_TTL', t(5)), issued('b', t(5))]);
    });

    it('issues a new token once the last one has ended', () => {
      given(issued('a'), expired('a', 'PAID', t(3)))
        .when(issue('b', t(5)))
        .then([issued('b', t(5))]);
    });

    it('ignores a stale "over" hint when there is no live token', () => {
      given(issued('a'), expired('a', 'PAID', t(3)))
        .when(issue('b', t(5), 'IDLE'))
        .then([issued('b', t(5))]);
    });
  });

  describe('ExpireToken', () => {
    it('ends the live token with its reason', () => {
      given(issued('a'))
        .when(expire('a', 'PAID', t(9)))
        .then([expired('a', 'PAID', t(9))]);
    });

    it('is idempotent: an ended token is not ended twice', () => {
      given(issued('a'), expired('a', 'IDLE', t(4)))
        .when(expire('a', 'ACTIVE_TTL', t(9)))
        .then([]);
    });

    it('leaves the live token alone when asked to end an older one', () => {
      given(issued('a'), expired('a', 'IDLE', t(4)), issued('b', t(4)))
        .when(expire('a', 'ACTIVE_TTL', t(9)))
        .then([]);
    });

    it('has nothing to end for a user without a token', () => {
      given()
        .when(expire('a', 'PAID', t(9)))
        .then([]);
    });
  });

  describe('RecordSeen', () => {
    const seen = (tokenId: string, at: Date): QueueEvent => ({
      type: 'TokenSeen',
      data: { tokenId, userId, seenAt: at.toISOString() },
    });
    const recordSeen = (tokenId: string, now: Date): UserTokenCommand => ({ type: 'RecordSeen', userId, tokenId, now });

    it('records that the live token is still polled', () => {
      given(issued('a'))
        .when(recordSeen('a', t(20)))
        .then([seen('a', t(20))]);
    });

    it('records nothing for an ended or a replaced token', () => {
      given(issued('a'), expired('a', 'IDLE', t(4)))
        .when(recordSeen('a', t(9)))
        .then([]);
      given(issued('a'), expired('a', 'IDLE', t(4)), issued('b', t(4)))
        .when(recordSeen('a', t(9)))
        .then([]);
    });

    it('leaves the token live', () => {
      given(issued('a'), seen('a', t(20)))
        .when(issue('b', t(30)))
        .then([]);
    });
  });

  describe('evolve', () => {
    it('folds issue and expiry into the live and ended states', () => {
      const states: UserTokenState[] = [
        given().state,
        given(issued('a')).state,
        given(issued('a'), expired('a', 'PAID', t(2))).state,
        given(issued('a'), expired('a', 'PAID', t(2)), issued('b', t(3))).state,
      ];
      expect(states).toEqual([
        { status: 'None' },
        { status: 'Live', tokenId: 'a', issuedAt: t(0).toISOString() },
        { status: 'Ended', tokenId: 'a' },
        { status: 'Live', tokenId: 'b', issuedAt: t(3).toISOString() },
      ]);
    });

    it('ignores the expiry of a token that is not the live one', () => {
      expect(given(issued('b'), expired('a', 'IDLE', t(1))).state).toEqual({
        status: 'Live',
        tokenId: 'b',
        issuedAt: t(0).toISOString(),
      });
    });

    it('ignores admission events, which live in another stream', () => {
      const activated: QueueEvent = {
        type: 'TokenActivated',
        data: { tokenId: 'a', userId, activatedAt: t(1).toISOString(), expiresAt: t(601).toISOString() },
      };
      expect(given(issued('a'), activated).state).toEqual(given(issued('a')).state);
    });
  });
});
