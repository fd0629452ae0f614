import { QUEUE_ADMISSION_STREAM, queueUserStream, StoredEvent, TokenExpiryReason } from '@concert/contracts';
import { QueueLine } from './queue-line';

const T0 = Date.parse('2030-01-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** Feeds a line the way the store would: positions and per-stream revisions in order. */
class Feed {
  private position = 0;
  private readonly revisions = new Map<string, number>();
  constructor(readonly line: QueueLine) {}

  private emit(streamId: string, type: string, data: unknown, version = 1): void {
    const revision = (this.revisions.get(streamId) ?? -1) + 1;
    this.revisions.set(streamId, revision);
    const event: StoredEvent = {
      id: `${type}-${++this.position}`,
      type,
      version,
      data,
      metadata: { occurredAt: iso(T0), correlationId: 'c', causationId: 'c' },
      streamId,
      revision,
      position: this.position,
    };
    this.line.apply(event);
  }

  issue(tokenId: string, at = T0, userId = `user-${tokenId}`): void {
    this.emit(queueUserStream(userId), 'TokenIssued', { tokenId, userId, issuedAt: iso(at) });
  }
  activate(tokenId: string, at = T0, ttlMs = 600_000, userId = `user-${tokenId}`): void {
    this.emit(QUEUE_ADMISSION_STREAM, 'TokenActivated', { tokenId, userId, activatedAt: iso(at), expiresAt: iso(at + ttlMs) });
  }
  expire(tokenId: string, reason: TokenExpiryReason, at = T0, userId = `user-${tokenId}`): void {
    this.emit(queueUserStream(userId), 'TokenExpired', { tokenId, userId, reason, expiredAt: iso(at) });
  }
  expireV1(tokenId: string, at = T0, userId = `user-${tokenId}`): void {
    this.emit(queueUserStream(userId), 'TokenExpired', { tokenId, userId, expiredAt: iso(at) }, 1);
  }
}

function setup(ratePerMinute = 10) {
  let now = T0;
  const line = new QueueLine(() => now, ratePerMinute);
  return {
    line,
    feed: new Feed(line),
    at: (ms: number) => {
      now = ms;
    },
    rec: (tokenId: string) => line.get(tokenId)!,
  };
}

function rng(seed: number): () => number {
  return () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
}

const IDLE = 300_000;

describe('QueueLine', () => {
  it('ranks waiting tokens by ticket and gives active ones rank 0', () => {
    const { line, feed, rec } = setup();
    for (const id of ['a', 'b', 'c', 'd']) feed.issue(id);
    feed.activate('b');
    expect(['a', 'b', 'c', 'd'].map((id) => [rec(id).status, line.rank(rec(id))])).toEqual([
      ['WAITING', 1],
      ['ACTIVE', 0],
      ['WAITING', 2],
      ['WAITING', 3],
    ]);
    feed.expire('a', 'IDLE');
    expect(['c', 'd'].map((id) => line.rank(rec(id)))).toEqual([1, 2]);
    expect([line.activeCount(), line.waitingCount()]).toEqual([1, 2]);
  });

  it('agrees with a naive list over random issues, admissions, expiries and polls', () => {
    for (const seed of [7, 11, 13]) {
      const random = rng(seed);
      const { line, feed, rec, at } = setup();
      const naive: { id: string; status: 'WAITING' | 'ACTIVE' | 'EXPIRED' }[] = [];
      let next = 0;
      let now = T0;
      for (let step = 0; step < 3000; step++) {
        const roll = random();
        const waiting = naive.filter((t) => t.status === 'WAITING');
        const active = naive.filter((t) => t.status === 'ACTIVE');
        if (roll < 0.45 || naive.length === 0) {
          const id = `t${next++}`;
          feed.issue(id);
          naive.push({ id, status: 'WAITING' });
        } else if (roll < 0.65 && waiting.length) {
          const pick = waiting[Math.floor(random() * Math.min(3, waiting.length))];
          feed.activate(pick.id);
          pick.status = 'ACTIVE';
        } else if (roll < 0.8 && active.length) {
          const pick = active[Math.floor(random() * active.length)];
          feed.expire(pick.id, 'PAID');
          pick.status = 'EXPIRED';
        } else if (roll < 0.9 && waiting.length) {
          const pick = waiting[Math.floor(random() * waiting.length)];
          feed.expire(pick.id, 'IDLE');
          pick.status = 'EXPIRED';
        } else if (naive.length) {
          // Events that must change nothing: activating a token that is not waiting, ending one twice, a poll.
          const pick = naive[Math.floor(random() * naive.length)];
          if (pick.status !== 'WAITING') feed.activate(pick.id);
          if (pick.status === 'EXPIRED') feed.expire(pick.id, 'ACTIVE_TTL');
          now += 1;
          at(now);
          line.touch(rec(pick.id), now, IDLE);
        }
        if (step % 25 === 0 || step === 2999) {
          let rank = 0;
          for (const t of naive) {
            const expected = t.status === 'WAITING' ? ++rank : 0;
            if (line.rank(rec(t.id)) !== expected || rec(t.id).status !== t.status) {
              throw new Error(
                `seed ${seed} step ${step}: ${t.id} is ${rec(t.id).status}/${line.rank(rec(t.id))}, expected ${t.status}/${expected}`,
              );
            }
          }
          expect(line.waitingCount()).toBe(rank);
          expect(line.activeCount()).toBe(naive.filter((t) => t.status === 'ACTIVE').length);
          expect([...line.waitingInTicketOrder()].map((r) => r.tokenId)).toEqual(
            naive.filter((t) => t.status === 'WAITING').map((t) => t.id),
          );
        }
      }
    }
  });

  it('ignores an activation of a token that is no longer waiting and an expiry of one already ended', () => {
    const { line, feed, rec } = setup();
    feed.issue('a');
    feed.expire('a', 'IDLE');
    feed.activate('a');
    expect([rec('a').status, rec('a').expiryReason, line.activeCount()]).toEqual(['EXPIRED', 'IDLE', 0]);
    feed.issue('b');
    feed.activate('b');
    feed.activate('b', T0 + 5000);
    feed.expire('b', 'PAID');
    feed.expire('b', 'ACTIVE_TTL');
    expect([rec('b').status, rec('b').expiryReason, rec('b').activatedAt, line.activeCount()]).toEqual([
      'EXPIRED',
      'PAID',
      T0,
      0,
    ]);
  });

  it('tracks the revision of the admission stream only', () => {
    const { line, feed } = setup();
    feed.issue('a');
    feed.issue('b');
    expect(line.admissionRevision).toBe(-1);
    feed.activate('a');
    feed.activate('b');
    feed.expire('a', 'PAID');
    expect([line.admissionRevision, line.position]).toEqual([1, 5]);
  });

  it('reads a version 1 TokenExpired (no reason) as a TTL expiry', () => {
    const { feed, rec } = setup();
    feed.issue('a');
    feed.activate('a');
    feed.expireV1('a');
    expect([rec('a').status, rec('a').expiryReason]).toEqual(['EXPIRED', 'ACTIVE_TTL']);
  });

  it('knows the latest token of each user', () => {
    const { line, feed } = setup();
    feed.issue('a', T0, 'u1');
    feed.expire('a', 'PAID', T0, 'u1');
    feed.issue('b', T0, 'u1');
    expect(line.latestOf('u1')?.tokenId).toBe('b');
    expect(line.latestOf('u2')).toBeUndefined();
  });

  describe('by the clock', () => {
    it('reads an active token past its TTL and a waiting one past the idle limit as EXPIRED', () => {
      const { line, feed, rec } = setup();
      feed.issue('a');
      feed.activate('a', T0, 60_000);
      feed.issue('b');
      expect(line.effectiveStatus(rec('a'), T0 + 59_999, IDLE)).toBe('ACTIVE');
      expect(line.effectiveStatus(rec('a'), T0 + 60_000, IDLE)).toBe('EXPIRED');
      expect(line.overReason(rec('a'), T0 + 60_000, IDLE)).toBe('ACTIVE_TTL');
      expect(line.effectiveStatus(rec('b'), T0 + IDLE, IDLE)).toBe('WAITING');
      expect(line.effectiveStatus(rec('b'), T0 + IDLE + 1, IDLE)).toBe('EXPIRED');
      expect(line.overReason(rec('b'), T0 + IDLE + 1, IDLE)).toBe('IDLE');
      expect(line.overReason(rec('b'), T0 + 1, IDLE)).toBeUndefined();
    });

    it('never idles out an ACTIVE token', () => {
      const { line, feed, rec } = setup();
      feed.issue('a');
      feed.activate('a', T0, 3_600_000);
      expect(line.effectiveStatus(rec('a'), T0 + 10 * IDLE, IDLE)).toBe('ACTIVE');
      expect(line.idleWaiting(T0 + 10 * IDLE, IDLE)).toEqual([]);
    });

    it('lets a poll keep a waiting place, but not bring an idle token back', () => {
      const { line, feed, rec } = setup();
      feed.issue('a');
      line.touch(rec('a'), T0 + 200_000, IDLE);
      expect(line.effectiveStatus(rec('a'), T0 + 450_000, IDLE)).toBe('WAITING');
      line.touch(rec('a'), T0 + 900_000, IDLE);
      expect(line.effectiveStatus(rec('a'), T0 + 900_000, IDLE)).toBe('EXPIRED');
      expect(rec('a').lastSeenAt).toBe(T0 + 200_000);
    });

    it('lists idle waiting tokens least recently seen first, and only those', () => {
      const { line, feed, rec, at } = setup();
      for (const [i, id] of ['a', 'b', 'c', 'd'].entries()) {
        at(T0 + i * 1000);
        feed.issue(id);
      }
      feed.activate('d');
      line.touch(rec('a'), T0 + 10_000, IDLE);
      const ids = (now: number) => line.idleWaiting(now, IDLE).map((r) => r.tokenId);
      expect(ids(T0 + IDLE)).toEqual([]);
      expect(ids(T0 + IDLE + 1001)).toEqual(['b']);
      expect(ids(T0 + IDLE + 2001)).toEqual(['b', 'c']);
      expect(ids(T0 + IDLE + 10_001)).toEqual(['b', 'c', 'a']);
      feed.expire('b', 'IDLE');
      expect(ids(T0 + IDLE + 10_001)).toEqual(['c', 'a']);
    });

    it('starts the idle clock of a token replayed at boot at the boot', () => {
      const { line, feed, rec, at } = setup();
      at(T0 + 3_600_000);
      feed.issue('a', T0);
      expect(line.effectiveStatus(rec('a'), T0 + 3_600_000 + IDLE, IDLE)).toBe('WAITING');
      expect(line.effectiveStatus(rec('a'), T0 + 3_600_001 + IDLE, IDLE)).toBe('EXPIRED');
    });
  });

  describe('the view a holder gets', () => {
    it('is position 0 and no wait once ACTIVE or EXPIRED', () => {
      const { line, feed, rec } = setup();
      feed.issue('a');
      feed.issue('b');
      feed.activate('a');
      feed.expire('b', 'IDLE');
      expect(line.view(rec('a'), T0, IDLE)).toEqual({ status: 'ACTIVE', queuePosition: 0, estimatedWaitTime: 0 });
      expect(line.view(rec('b'), T0, IDLE)).toEqual({ status: 'EXPIRED', queuePosition: 0, estimatedWaitTime: 0 });
    });

    it('is EXPIRED with position 0 for a waiting token past the idle limit, before that is recorded', () => {
      const { line, feed, rec } = setup();
      feed.issue('a');
      expect(line.view(rec('a'), T0 + IDLE + 1, IDLE)).toEqual({ status: 'EXPIRED', queuePosition: 0, estimatedWaitTime: 0 });
    });

    it('estimates from the guaranteed turnover while nobody has left: a first fill is no measure of the line', () => {
      // Cap 3, TTL 10 min: a full house hands back 0.3 slots a minute when nobody pays.
      const { line, feed, rec } = setup(0.3);
      for (const id of ['a', 'b', 'c', 'd', 'e']) feed.issue(id);
      for (const id of ['a', 'b', 'c']) feed.activate(id, T0 + 1000);
      expect(line.view(rec('d'), T0 + 2000, IDLE)).toEqual({ status: 'WAITING', queuePosition: 1, estimatedWaitTime: 4 });
      expect(line.view(rec('e'), T0 + 2000, IDLE)).toEqual({ status: 'WAITING', queuePosition: 2, estimatedWaitTime: 7 });
    });

    it('estimates from the slots handed back over the last five minutes when that is faster', () => {
      const { line, feed, rec } = setup(1);
      const ids = Array.from({ length: 40 }, (_, i) => `t${i}`);
      for (const id of ids) feed.issue(id);
      for (const id of ids.slice(0, 10)) feed.activate(id);
      // Ten payments in two minutes: 5 a minute.
      for (let i = 0; i < 10; i++) {
        feed.expire(ids[i], 'PAID', T0 + (i + 1) * 12_000);
        feed.activate(ids[10 + i], T0 + (i + 1) * 12_000);
      }
      const now = T0 + 120_000;
      expect(line.admissionsPerMinute(now)).toBeCloseTo(10 / (108_000 / 60_000));
      expect(line.view(rec('t20'), now, 10 * IDLE)).toMatchObject({ queuePosition: 1, estimatedWaitTime: 1 });
      expect(line.view(rec('t39'), now, 10 * IDLE)).toMatchObject({ queuePosition: 20, estimatedWaitTime: 4 });
      // Five minutes without a payment: back to the guaranteed rate.
      expect(line.admissionsPerMinute(now + 5 * 60_000)).toBe(1);
      expect(line.view(rec('t39'), now + 5 * 60_000, 10 * IDLE)).toMatchObject({ estimatedWaitTime: 20 });
    });

    it('never estimates a shorter wait for a place further back', () => {
      const { line, feed, rec } = setup(2.5);
      const ids = Array.from({ length: 300 }, (_, i) => `t${i}`);
      for (const id of ids) feed.issue(id);
      const waits = ids.map((id) => line.view(rec(id), T0, IDLE).estimatedWaitTime);
      expect(waits.every((w, i) => w >= 1 && (i === 0 || w >= waits[i - 1]))).toBe(true);
    });
  });

  describe('cost', () => {
    const N = 200_000;
    let built: ReturnType<typeof setup>;
    let ids: string[];

    beforeAll(() => {
      built = setup();
      ids = Array.from({ length: N }, (_, i) => `t${i}`);
      for (const id of ids) built.feed.issue(id);
      for (let i = 0; i < 100; i++) built.feed.activate(ids[i * 7]);
      for (let i = 0; i < 1000; i++) built.feed.expire(ids[i * 13 + 1], 'IDLE');
    });

    it('answers a poll without walking the line', () => {
      const { line, rec } = built;
      const started = process.hrtime.bigint();
      let sum = 0;
      for (let i = 0; i < 100_000; i++) {
        const record = rec(ids[(i * 7919) % N]);
        line.touch(record, T0 + i, IDLE);
        sum += line.view(record, T0 + i, IDLE).queuePosition;
      }
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      expect(sum).toBeGreaterThan(0);
      // O(log n) is a few hundred ms at most on a loaded box; a walk of 200,000 tokens per poll would take minutes.
      expect(ms).toBeLessThan(10_000);
    });

    it('finds the idle tokens without walking the ones still polling', () => {
      const { line } = built;
      const started = process.hrtime.bigint();
      for (let i = 0; i < 20_000; i++) line.idleWaiting(T0 + 100_000, IDLE);
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      expect(line.idleWaiting(T0 + 100_000, IDLE)).toEqual([]);
      // Each sweep looks at one token here; a walk of the line per sweep would take minutes.
      expect(ms).toBeLessThan(10_000);
    });

    it('checks the first candidates for admission without walking the line', () => {
      const { line } = built;
      const started = process.hrtime.bigint();
      for (let i = 0; i < 20_000; i++) {
        let n = 0;
        for (const r of line.waitingInTicketOrder()) if (++n === 5 || !r) break;
      }
      expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(10_000);
    });
  });
});

describe('QueueLine.activePastTtl', () => {
  it('hands out exactly the active tokens past their expiry, whatever order they were admitted in, until each expiry is recorded', () => {
    const { line, feed } = setup();
    // A TTL shortened across a restart: later admissions can expire before earlier ones.
    const ttls: [string, number][] = [
      ['long', 900_000],
      ['short', 60_000],
      ['mid', 300_000],
      ['paid', 60_000],
    ];
    for (const [id, ttl] of ttls) {
      feed.issue(id);
      feed.activate(id, T0, ttl);
    }
    feed.expire('paid', 'PAID', T0 + 1000);
    expect(line.activePastTtl(T0 + 59_999)).toEqual([]);
    expect(line.activePastTtl(T0 + 60_000).map((r) => r.tokenId)).toEqual(['short']);
    // Not recorded yet: due again at the next sweep, together with the next one due.
    expect(
      line
        .activePastTtl(T0 + 300_000)
        .map((r) => r.tokenId)
        .sort(),
    ).toEqual(['mid', 'short']);
    feed.expire('short', 'ACTIVE_TTL', T0 + 300_000);
    feed.expire('mid', 'ACTIVE_TTL', T0 + 300_000);
    expect(line.activePastTtl(T0 + 899_999)).toEqual([]);
    expect(line.activePastTtl(T0 + 10_000_000).map((r) => r.tokenId)).toEqual(['long']);
  });
});
