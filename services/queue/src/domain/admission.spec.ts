import {
  admit,
  AdmissionInput,
  admitOnIssue,
  estimateWaitMinutes,
  guaranteedAdmissionsPerMinute,
  isIdle,
  WaitingCandidate,
} from './admission';

const NOW = new Date('2030-01-01T00:10:00.000Z');
const seen = (secondsAgo: number) => NOW.getTime() - secondsAgo * 1000;
const candidate = (tokenId: string, secondsAgo = 0): WaitingCandidate => ({
  tokenId,
  userId: `user-${tokenId}`,
  lastSeenAt: seen(secondsAgo),
});

/** given a line and a house, when admission runs, then these tokens get in. */
function given(candidates: WaitingCandidate[], house: Partial<AdmissionInput> = {}) {
  const input: AdmissionInput = {
    candidates,
    activeCount: 0,
    maxActive: 3,
    now: NOW,
    activeTtlSeconds: 600,
    idleTimeoutMs: 300_000,
    ...house,
  };
  return { thenAdmitted: (tokenIds: string[]) => expect(admit(input).map((e) => e.data.tokenId)).toEqual(tokenIds) };
}

describe('admission', () => {
  it('admits in ticket order up to the free slots', () => {
    given([candidate('a'), candidate('b'), candidate('c'), candidate('d')]).thenAdmitted(['a', 'b', 'c']);
    given([candidate('a'), candidate('b'), candidate('c')], { activeCount: 2 }).thenAdmitted(['a']);
  });

  it('admits nobody into a full house, or one over its cap', () => {
    given([candidate('a')], { activeCount: 3 }).thenAdmitted([]);
    given([candidate('a')], { activeCount: 5 }).thenAdmitted([]);
  });

  it('admits everyone when the line is shorter than the free slots', () => {
    given([candidate('a')]).thenAdmitted(['a']);
    given([]).thenAdmitted([]);
  });

  it('passes over a holder who stopped polling and admits the next one instead', () => {
    given([candidate('a', 301), candidate('b', 10), candidate('c', 400), candidate('d', 0)], { maxActive: 2 }).thenAdmitted([
      'b',
      'd',
    ]);
  });

  it('still admits a holder seen exactly at the idle limit', () => {
    given([candidate('a', 300)], { maxActive: 1 }).thenAdmitted(['a']);
  });

  it('reads the line only as far as it needs', () => {
    let read = 0;
    function* line(): Generator<WaitingCandidate> {
      for (let i = 0; ; i++) {
        read++;
        yield candidate(`t${i}`, i % 2 ? 1000 : 0);
      }
    }
    given(line() as unknown as WaitingCandidate[], { maxActive: 3 }).thenAdmitted(['t0', 't2', 't4']);
    expect(read).toBe(5);
  });

  it('stamps each activation with the time it was decided and the end of its TTL', () => {
    const [event] = admit({
      candidates: [candidate('a')],
      activeCount: 0,
      maxActive: 1,
      now: NOW,
      activeTtlSeconds: 600,
      idleTimeoutMs: 1,
    });
    expect(event).toEqual({
      type: 'TokenActivated',
      data: { tokenId: 'a', userId: 'user-a', activatedAt: '2030-01-01T00:10:00.000Z', expiresAt: '2030-01-01T00:20:00.000Z' },
    });
  });

  it('calls a holder idle only past the limit', () => {
    expect(isIdle(seen(300), NOW.getTime(), 300_000)).toBe(false);
    expect(isIdle(seen(300.001), NOW.getTime(), 300_000)).toBe(true);
  });
});

describe('estimated wait', () => {
  it('is 0 for a token not waiting', () => {
    expect(estimateWaitMinutes(0, 10)).toBe(0);
  });

  it('is whole minutes, rounded up, at least one for a waiting token', () => {
    expect(estimateWaitMinutes(1, 10)).toBe(1);
    expect(estimateWaitMinutes(10, 10)).toBe(1);
    expect(estimateWaitMinutes(11, 10)).toBe(2);
    expect(estimateWaitMinutes(2, 0.3)).toBe(7);
  });

  it('grows with the position', () => {
    const waits = Array.from({ length: 200 }, (_, i) => estimateWaitMinutes(i + 1, 2.5));
    expect(waits.every((w, i) => i === 0 || w >= waits[i - 1])).toBe(true);
  });

  it('falls back to a minute a place when there is no rate', () => {
    expect(estimateWaitMinutes(4, 0)).toBe(4);
    expect(estimateWaitMinutes(4, Number.NaN)).toBe(4);
  });

  it('turns over the whole house once per TTL when nobody pays', () => {
    expect(guaranteedAdmissionsPerMinute(100, 600)).toBe(10);
    expect(guaranteedAdmissionsPerMinute(3, 600)).toBeCloseTo(0.3);
  });

  describe('with the issue', () => {
    const input = {
      tokenId: 't-new',
      userId: 'u-new',
      maxActive: 2,
      now: new Date('2030-01-01T00:00:00Z'),
      activeTtlSeconds: 60,
    };

    it('lets a new token straight in when nobody waits and a slot is free', () => {
      expect(admitOnIssue({ ...input, waitingCount: 0, activeCount: 1 })).toEqual([
        {
          type: 'TokenActivated',
          data: {
            tokenId: 't-new',
            userId: 'u-new',
            activatedAt: '2030-01-01T00:00:00.000Z',
            expiresAt: '2030-01-01T00:01:00.000Z',
          },
        },
      ]);
    });

    it('lets nobody in ahead of a waiting token, or into a full house', () => {
      expect(admitOnIssue({ ...input, waitingCount: 1, activeCount: 0 })).toEqual([]);
      expect(admitOnIssue({ ...input, waitingCount: 0, activeCount: 2 })).toEqual([]);
      expect(admitOnIssue({ ...input, waitingCount: 0, activeCount: 3 })).toEqual([]);
    });
  });
});
