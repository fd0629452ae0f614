import { randomUUID } from 'node:crypto';
import { NewEvent, StoredEvent } from '@concert/contracts';
import { EventStore, RequiredEventMissingError, WrongExpectedRevisionError } from './event-store.port';

export interface EventStoreFixture {
  store: EventStore;
  /** Closes the store and removes whatever the factory created (files, containers, …). */
  cleanup(): Promise<void>;
}

export interface EventStoreCapabilities {
  /**
   * The store is fresh and used by this test alone: it starts empty (head 0) and nothing else
   * writes to it. False for a shared server (KurrentDB writes system events to $all).
   */
  exclusive: boolean;
  /** Event ids are unique across the whole store, not only within a stream. */
  globallyUniqueEventIds: boolean;
  /** Events read back are copies: callers mutating them cannot change the log. */
  returnsCopies: boolean;
  /** Appends are decided in the order they were made (`soleWriter`): one made after another sees its outcome. */
  keepsAppendOrder: boolean;
}

const defaults: EventStoreCapabilities = {
  exclusive: true,
  globallyUniqueEventIds: true,
  returnsCopies: true,
  keepsAppendOrder: false,
};

/** The behaviour every EventStore adapter promises (event-store.port.ts); each adapter's spec runs it. */
export function eventStoreContract(
  name: string,
  factory: () => Promise<EventStoreFixture>,
  capabilities: Partial<EventStoreCapabilities> = {},
): void {
  const can = { ...defaults, ...capabilities };

  describe(`EventStore contract: ${name}`, () => {
    jest.setTimeout(60_000);
    let fixture: EventStoreFixture | undefined;
    let store: EventStore;
    // Unique per test, so a shared server's leftovers never match.
    let prefix: string;
    const stream = (label: string) => `${prefix}${label}`;
    const mine = (e: StoredEvent) => e.streamId.startsWith(prefix);

    beforeEach(async () => {
      fixture = await factory();
      store = fixture.store;
      prefix = `contract${randomUUID().replace(/-/g, '')}-`;
    });

    afterEach(async () => {
      await fixture?.cleanup();
      fixture = undefined;
    });

    describe('append and readStream', () => {
      it('reads back what was appended, in order, with revisions from 0 and every field intact', async () => {
        const s = stream('order-1');
        const first = [event('OrderPlaced', { total: 42, lines: [{ sku: 'a', n: 1 }] }), event('OrderPaid', { note: '결제 ✓' })];
        const r1 = await store.append(s, first, 'no_stream');
        expect(r1.nextRevision).toBe(1);
        const second = [event('OrderShipped', { carrier: null })];
        const r2 = await store.append(s, second, 1);
        expect(r2.nextRevision).toBe(2);
        expect(r2.position).toBeGreaterThan(r1.position);

        const read = await store.readStream(s);
        expect(read.map((e) => e.revision)).toEqual([0, 1, 2]);
        expect(read.map(strip)).toEqual([...first, ...second]);
        expect(read.every((e) => e.streamId === s)).toBe(true);
        expect(read[1].position).toBe(r1.position);
        expect(read[2].position).toBe(r2.position);
        expect(read[0].position).toBeLessThan(read[1].position);
      });

      it('reads a stream from a revision', async () => {
        const s = stream('from');
        const events = Array.from({ length: 5 }, (_, i) => event('Counted', { i }));
        await store.append(s, events, 'no_stream');
        const tail = await store.readStream(s, 3);
        expect(tail.map((e) => e.data)).toEqual([{ i: 3 }, { i: 4 }]);
        expect(tail.map((e) => e.revision)).toEqual([3, 4]);
        expect(await store.readStream(s, 5)).toEqual([]);
      });

      it('reads an unknown stream as empty', async () => {
        expect(await store.readStream(stream('nothing-here'))).toEqual([]);
      });

      it('keeps streams apart', async () => {
        await store.append(stream('a'), [event('A', { n: 1 })], 'no_stream');
        await store.append(stream('b'), [event('B', { n: 2 })], 'no_stream');
        await store.append(stream('a'), [event('A', { n: 3 })], 0);
        expect((await store.readStream(stream('a'))).map((e) => e.data)).toEqual([{ n: 1 }, { n: 3 }]);
        expect((await store.readStream(stream('b'))).map((e) => e.data)).toEqual([{ n: 2 }]);
      });

      if (can.returnsCopies) {
        it('hands out copies: mutating a read event does not change the log', async () => {
          const s = stream('copies');
          await store.append(s, [event('Noted', { tags: ['x'] })], 'no_stream');
          const [read] = await store.readStream(s);
          (read.data as { tags: string[] }).tags.push('tampered');
          read.type = 'Tampered';
          const [again] = await store.readStream(s);
          expect(again.type).toBe('Noted');
          expect(again.data).toEqual({ tags: ['x'] });
          const [fromAll] = (await store.readAll(0, 10_000)).filter(mine);
          expect(fromAll.data).toEqual({ tags: ['x'] });
        });
      }
    });

    describe('expected revision', () => {
      it("'no_stream' succeeds on a new stream and fails with the current revision on an existing one", async () => {
        const s = stream('ns');
        await store.append(s, [event('Created', {}), event('Renamed', {})], 'no_stream');
        const err = await store.append(s, [event('Created', {})], 'no_stream').catch((e: unknown) => e);
        expect(err).toBeInstanceOf(WrongExpectedRevisionError);
        expect(err).toMatchObject({ streamId: s, expected: 'no_stream', actual: 1 });
        expect(await store.readStream(s)).toHaveLength(2);
      });

      it('a number must equal the revision of the last event', async () => {
        const s = stream('num');
        await store.append(s, [event('E', { n: 0 })], 'no_stream');
        await store.append(s, [event('E', { n: 1 })], 0);
        for (const stale of [0, 2, 7]) {
          const err = await store.append(s, [event('E', { n: 99 })], stale).catch((e: unknown) => e);
          expect(err).toBeInstanceOf(WrongExpectedRevisionError);
          expect(err).toMatchObject({ streamId: s, expected: stale, actual: 1 });
        }
        expect((await store.readStream(s)).map((e) => e.data)).toEqual([{ n: 0 }, { n: 1 }]);
      });

      it('a number on a missing stream fails with actual -1', async () => {
        const s = stream('missing');
        const err = await store.append(s, [event('E', {})], 0).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(WrongExpectedRevisionError);
        expect(err).toMatchObject({ streamId: s, expected: 0, actual: -1 });
        expect(await store.readStream(s)).toEqual([]);
      });

      it("'any' appends whatever the stream holds", async () => {
        const s = stream('any');
        expect((await store.append(s, [event('E', { n: 0 })], 'any')).nextRevision).toBe(0);
        expect((await store.append(s, [event('E', { n: 1 }), event('E', { n: 2 })], 'any')).nextRevision).toBe(2);
        expect((await store.readStream(s)).map((e) => e.revision)).toEqual([0, 1, 2]);
      });

      it('of 50 concurrent appends with the same expected revision exactly one wins', async () => {
        const s = stream('race');
        await store.append(s, [event('Opened', {})], 'no_stream');
        const contenders = Array.from({ length: 50 }, (_, i) => event('Claimed', { by: i }));
        const outcomes = await Promise.allSettled(contenders.map((e) => store.append(s, [e], 0)));
        const won = outcomes.filter((o) => o.status === 'fulfilled');
        const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
        expect(won).toHaveLength(1);
        expect(lost).toHaveLength(49);
        for (const o of lost) expect(o.reason).toBeInstanceOf(WrongExpectedRevisionError);
        const read = await store.readStream(s);
        expect(read).toHaveLength(2);
        const winner = outcomes.findIndex((o) => o.status === 'fulfilled');
        expect(read[1].id).toBe(contenders[winner].id);
      });

      it("of 50 concurrent 'no_stream' appends exactly one creates the stream", async () => {
        const s = stream('create-race');
        const outcomes = await Promise.allSettled(
          Array.from({ length: 50 }, () => store.append(s, [event('Created', {})], 'no_stream')),
        );
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        expect(await store.readStream(s)).toHaveLength(1);
      });

      it('a losing append does not disturb concurrent appends to other streams', async () => {
        await store.append(stream('taken'), [event('E', {})], 'no_stream');
        const others = Array.from({ length: 10 }, (_, i) => store.append(stream(`free-${i}`), [event('E', { i })], 'no_stream'));
        const loser = store.append(stream('taken'), [event('E', {})], 'no_stream');
        await expect(loser).rejects.toBeInstanceOf(WrongExpectedRevisionError);
        const results = await Promise.all(others);
        expect(results.every((r) => r.nextRevision === 0)).toBe(true);
      });
    });

    describe('append after a required event', () => {
      it('stores an append whose required event is stored', async () => {
        const required = event('PaymentStarted', {});
        await store.append(stream('payment'), [required], 'no_stream');
        const result = await store.append(stream('wallet'), [event('Debited', {})], 'no_stream', {
          after: { streamId: stream('payment'), eventId: required.id },
        });
        expect(result.nextRevision).toBe(0);
        expect(await store.readStream(stream('wallet'))).toHaveLength(1);
      });

      it('refuses, writing nothing, an append whose required event is not stored, or stored in another stream', async () => {
        const elsewhere = event('PaymentStarted', {});
        await store.append(stream('other'), [elsewhere], 'no_stream');
        for (const after of [
          { streamId: stream('payment'), eventId: randomUUID() },
          { streamId: stream('payment'), eventId: elsewhere.id },
        ]) {
          const err = await store
            .append(stream('wallet'), [event('Debited', {})], 'no_stream', { after })
            .catch((e: unknown) => e);
          expect(err).toBeInstanceOf(RequiredEventMissingError);
          expect(err).toMatchObject({ streamId: stream('wallet'), required: after });
        }
        expect(await store.readStream(stream('wallet'))).toEqual([]);
        expect((await store.readAll(0, 100_000)).filter(mine)).toHaveLength(1);
      });

      if (can.keepsAppendOrder) {
        it('an append made in the same tick after its required one is stored exactly when that one is (appends decided in order)', async () => {
          expect(store.soleWriter).toBe(true);
          await store.append(stream('taken'), [event('PaymentStarted', {})], 'no_stream');
          const kept = event('PaymentStarted', {});
          const lost = event('PaymentStarted', {});
          const outcomes = await Promise.allSettled([
            store.append(stream('payment'), [kept], 'no_stream'),
            store.append(stream('wallet-a'), [event('Debited', {})], 'no_stream', {
              after: { streamId: stream('payment'), eventId: kept.id },
            }),
            store.append(stream('taken'), [lost], 'no_stream'),
            store.append(stream('wallet-b'), [event('Debited', {})], 'no_stream', {
              after: { streamId: stream('taken'), eventId: lost.id },
            }),
          ]);
          expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected']);
          expect((outcomes[2] as PromiseRejectedResult).reason).toBeInstanceOf(WrongExpectedRevisionError);
          expect((outcomes[3] as PromiseRejectedResult).reason).toBeInstanceOf(RequiredEventMissingError);
          expect(await store.readStream(stream('wallet-a'))).toHaveLength(1);
          expect(await store.readStream(stream('wallet-b'))).toEqual([]);
        });
      }
    });

    describe('idempotent append by event id', () => {
      it('the same events again give the same result and are stored once', async () => {
        const s = stream('idem');
        const events = [event('A', { n: 1 }), event('B', { n: 2 })];
        const first = await store.append(s, events, 'no_stream');
        const again = await store.append(s, events, 'no_stream');
        expect(again).toEqual(first);
        const stillAgain = await store.append(s, events, 'any');
        expect(stillAgain).toEqual(first);
        expect(await store.readStream(s)).toHaveLength(2);
        expect((await store.readAll(0, 100_000)).filter(mine)).toHaveLength(2);
      });

      it('a retry after later writes still answers the original result', async () => {
        const s = stream('idem-later');
        const events = [event('A', {})];
        const first = await store.append(s, events, 'no_stream');
        await store.append(s, [event('B', {})], 0);
        expect(await store.append(s, events, 'no_stream')).toEqual(first);
        expect(await store.readStream(s)).toHaveLength(2);
      });

      it('concurrent retries of one append store it once and all answer the same', async () => {
        const s = stream('idem-concurrent');
        const events = [event('A', {}), event('B', {}), event('C', {})];
        const results = await Promise.all(Array.from({ length: 20 }, () => store.append(s, events, 'no_stream')));
        for (const r of results) expect(r).toEqual(results[0]);
        expect(results[0].nextRevision).toBe(2);
        expect((await store.readStream(s)).map((e) => e.id)).toEqual(events.map((e) => e.id));
      });

      if (can.globallyUniqueEventIds) {
        it('rejects, without writing anything, an append holding an id that is already stored', async () => {
          const known = event('Known', {});
          await store.append(stream('one'), [known], 'no_stream');
          const fresh = event('Fresh', {});
          await expect(store.append(stream('two'), [known], 'any')).rejects.toThrow();
          await expect(store.append(stream('one'), [fresh, known], 'any')).rejects.toThrow();
          expect(await store.readStream(stream('two'))).toEqual([]);
          expect((await store.readStream(stream('one'))).map((e) => e.id)).toEqual([known.id]);
          expect((await store.readAll(0, 100_000)).filter(mine)).toHaveLength(1);
        });

        it('rejects a bad append on its own: concurrent appends still succeed, nothing of it is written', async () => {
          const known = event('Known', {});
          await store.append(stream('known'), [known], 'no_stream');
          const twice = event('Twice', {});
          const neighbour = (i: number) => store.append(stream(`n-${i}`), [event('E', { i })], 'no_stream');
          const outcomes = await Promise.allSettled([
            neighbour(0),
            store.append(stream('dup'), [twice, { ...twice }], 'no_stream'),
            neighbour(1),
            store.append(stream('late-known'), [event('Fresh', {}), known], 'no_stream'),
            neighbour(2),
          ]);
          expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled']);
          expect(await store.readStream(stream('dup'))).toEqual([]);
          expect(await store.readStream(stream('late-known'))).toEqual([]);
          for (let i = 0; i < 3; i++) expect(await store.readStream(stream(`n-${i}`))).toHaveLength(1);
          expect((await store.readAll(0, 100_000)).filter(mine)).toHaveLength(4);
        });
      }
    });

    describe('readAll', () => {
      it('returns every event in append order with strictly increasing positions, across interleaved streams', async () => {
        const start = await store.headPosition();
        const appended: NewEvent[] = [];
        const results = [];
        for (let i = 0; i < 30; i++) {
          const e = event('Tick', { i });
          appended.push(e);
          results.push(await store.append(stream(`s${i % 3}`), [e], 'any'));
        }
        const all = await store.readAll(start, 100_000);
        const ours = all.filter(mine);
        expect(ours.map((e) => e.id)).toEqual(appended.map((e) => e.id));
        expect(ours.map((e) => e.position)).toEqual(results.map((r) => r.position));
        expectStrictlyIncreasing(all.map((e) => e.position));
        expect(all.every((e) => e.position > start)).toBe(true);
      });

      it('orders concurrent appends by position, each stream keeping its revision order', async () => {
        const start = await store.headPosition();
        await Promise.all(
          Array.from({ length: 5 }, async (_, s) => {
            for (let i = 0; i < 10; i++)
              await store.append(stream(`c${s}`), [event('E', { s, i })], i === 0 ? 'no_stream' : i - 1);
          }),
        );
        const ours = (await store.readAll(start, 100_000)).filter(mine);
        expect(ours).toHaveLength(50);
        expectStrictlyIncreasing(ours.map((e) => e.position));
        for (let s = 0; s < 5; s++) {
          const ofStream = ours.filter((e) => e.streamId === stream(`c${s}`));
          expect(ofStream.map((e) => e.revision)).toEqual([...Array(10).keys()]);
          expect(ofStream.map((e) => (e.data as { i: number }).i)).toEqual([...Array(10).keys()]);
        }
      });

      it('pages with (after, limit) without gaps or repeats', async () => {
        const start = await store.headPosition();
        const appended: string[] = [];
        for (let i = 0; i < 25; i++) {
          const batch = [event('P', { i }), ...(i % 4 === 0 ? [event('P', { i, extra: true })] : [])];
          appended.push(...batch.map((e) => e.id));
          await store.append(stream(`page${i % 2}`), batch, 'any');
        }
        const seen: StoredEvent[] = [];
        let after = start;
        let fullPages = 0;
        for (;;) {
          const page = await store.readAll(after, 7);
          if (page.length === 0) break;
          expect(page.length).toBeLessThanOrEqual(7);
          if (page.length === 7) fullPages++;
          expect(page[0].position).toBeGreaterThan(after);
          seen.push(...page);
          after = page[page.length - 1].position;
        }
        expect(fullPages).toBeGreaterThanOrEqual(4);
        expectStrictlyIncreasing(seen.map((e) => e.position));
        expect(seen.filter(mine).map((e) => e.id)).toEqual(appended);
      });

      if (can.exclusive) {
        it('an empty store reads nothing and its head is 0', async () => {
          expect(await store.headPosition()).toBe(0);
          expect(await store.readAll(0, 10)).toEqual([]);
        });

        it('reads from the start with after = 0 and nothing after the head', async () => {
          const r = await store.append(stream('x'), [event('A', {}), event('B', {})], 'no_stream');
          const all = await store.readAll(0, 10);
          expect(all).toHaveLength(2);
          expect(await store.readAll(r.position, 10)).toEqual([]);
          expect(await store.readAll(all[0].position, 10)).toEqual([all[1]]);
        });
      }
    });

    describe('headPosition', () => {
      it('moves to the position of the last appended event', async () => {
        const before = await store.headPosition();
        const r1 = await store.append(stream('h'), [event('A', {}), event('B', {})], 'no_stream');
        expect(r1.position).toBeGreaterThan(before);
        const head1 = await store.headPosition();
        expect(head1).toBeGreaterThanOrEqual(r1.position);
        const r2 = await store.append(stream('h2'), [event('C', {})], 'no_stream');
        expect(r2.position).toBeGreaterThan(r1.position);
        if (can.exclusive) {
          expect(head1).toBe(r1.position);
          expect(await store.headPosition()).toBe(r2.position);
        }
        const tail = await store.readAll(r1.position, 10);
        expect(tail.filter(mine).map((e) => e.position)).toEqual([r2.position]);
      });
    });

    describe('subscribeAll', () => {
      const collect = () => {
        const received: StoredEvent[] = [];
        let inFlight = 0;
        let overlapped = false;
        const handler = async (e: StoredEvent) => {
          inFlight++;
          if (inFlight > 1) overlapped = true;
          // Yield so an adapter that does not wait for the handler would overlap two calls.
          await new Promise((r) => setImmediate(r));
          received.push(e);
          inFlight--;
        };
        return { received, handler, overlapped: () => overlapped };
      };

      it('catches up from a position, then receives live events in order with no gaps or repeats', async () => {
        const start = await store.headPosition();
        const past: StoredEvent[] = [];
        for (let i = 0; i < 12; i++) {
          await store.append(stream(`sub${i % 3}`), [event('Past', { i })], 'any');
        }
        past.push(...(await store.readAll(start, 100_000)).filter(mine));
        const from = past[3].position;
        const { received, handler, overlapped } = collect();
        const sub = store.subscribeAll(from, handler);
        try {
          const live: string[] = [];
          let last = 0;
          await Promise.all(
            [0, 1, 2].map(async (w) => {
              for (let i = 0; i < 10; i++) {
                const e = event('Live', { w, i });
                const r = await store.append(stream(`live${w}`), [e], 'any');
                live.push(e.id);
                last = Math.max(last, r.position);
              }
            }),
          );
          await sub.caughtUpTo(last);
          const ours = received.filter(mine);
          const expected = (await store.readAll(from, 100_000)).filter(mine);
          expect(expected).toHaveLength(8 + 30);
          expect(ours.map((e) => e.id)).toEqual(expected.map((e) => e.id));
          expect(ours.map((e) => e.position)).toEqual(expected.map((e) => e.position));
          expectStrictlyIncreasing(received.map((e) => e.position));
          expect(received.every((e) => e.position > from)).toBe(true);
          expect(new Set(ours.map((e) => e.id)).size).toBe(ours.length);
          expect(ours.map((e) => e.id)).toEqual(expect.arrayContaining(live));
          expect(overlapped()).toBe(false);
        } finally {
          await sub.close();
        }
      });

      it('delivers only the streams named by streamPrefixes', async () => {
        const start = await store.headPosition();
        const wanted = [stream('booking-seat-'), stream('wallet-')];
        const { received, handler } = collect();
        const sub = store.subscribeAll(start, handler, { streamPrefixes: wanted });
        try {
          const names = ['booking-seat-1', 'queue-token-1', 'wallet-u1', 'booking-concert-1', 'booking-seat-2', 'wallet-u2'];
          let last = 0;
          for (let round = 0; round < 3; round++) {
            for (const n of names) last = (await store.append(stream(n), [event('E', { n, round })], 'any')).position;
          }
          await sub.caughtUpTo(last);
          const expected = (await store.readAll(start, 100_000)).filter((e) => wanted.some((p) => e.streamId.startsWith(p)));
          expect(expected).toHaveLength(12);
          expect(received.map((e) => e.id)).toEqual(expected.map((e) => e.id));
        } finally {
          await sub.close();
        }
      });

      it('caughtUpTo resolves at once for a past position and after delivery for a later one', async () => {
        const r1 = await store.append(stream('cu'), [event('A', {})], 'no_stream');
        const { received, handler } = collect();
        const sub = store.subscribeAll(r1.position, handler);
        try {
          await sub.caughtUpTo(r1.position);
          await sub.caughtUpTo(0);
          expect(received.filter(mine)).toEqual([]);
          const pending = store.append(stream('cu'), [event('B', {}), event('C', {})], 0);
          const r2 = await pending;
          await sub.caughtUpTo(r2.position);
          // Resolved means handled: the last event is already in the handler's hands.
          expect(received.filter(mine).map((e) => e.position)).toContain(r2.position);
          expect(received.filter(mine)).toHaveLength(2);
        } finally {
          await sub.close();
        }
      });

      it('delivers nothing after close', async () => {
        const start = await store.headPosition();
        const { received, handler } = collect();
        const sub = store.subscribeAll(start, handler);
        const r = await store.append(stream('closing'), [event('A', {})], 'no_stream');
        await sub.caughtUpTo(r.position);
        await sub.close();
        const r2 = await store.append(stream('closing'), [event('B', {})], 0);
        await settle();
        // A later subscription sees the event, the closed one never does.
        const check = collect();
        const sub2 = store.subscribeAll(r.position, check.handler);
        await sub2.caughtUpTo(r2.position);
        await sub2.close();
        expect(check.received.filter(mine)).toHaveLength(1);
        expect(received.filter(mine).map((e) => e.data)).toEqual([{}]);
        expect(received.filter(mine)).toHaveLength(1);
      });

      it('retries a failing handler at the same event, never skipping it, and recovers', async () => {
        const start = await store.headPosition();
        let failuresLeft = 3;
        const received: number[] = [];
        const sub = store.subscribeAll(start, (e) => {
          if (!mine(e)) return;
          const { i } = e.data as { i: number };
          if (i === 1 && failuresLeft > 0) {
            failuresLeft--;
            throw new Error('projection hiccup');
          }
          received.push(i);
        });
        try {
          let last = 0;
          for (let i = 0; i < 3; i++) last = (await store.append(stream('flaky'), [event('E', { i })], 'any')).position;
          // No further append signals the subscription: it must retry on its own.
          const deadline = Date.now() + 20_000;
          for (;;) {
            const caughtUp = await sub.caughtUpTo(last).then(
              () => true,
              (err: Error) => {
                expect(err.message).toBe('projection hiccup');
                return false;
              },
            );
            if (caughtUp) break;
            if (Date.now() > deadline) throw new Error(`never recovered; received ${JSON.stringify(received)}`);
            await new Promise((r) => setTimeout(r, 50));
          }
          expect(failuresLeft).toBe(0);
          expect(received).toEqual([0, 1, 2]);
          const r = await store.append(stream('flaky'), [event('E', { i: 3 })], 'any');
          await sub.caughtUpTo(r.position);
          expect(received).toEqual([0, 1, 2, 3]);
        } finally {
          await sub.close();
        }
      });

      it('two subscriptions from different positions each see their own complete tail', async () => {
        const start = await store.headPosition();
        const rs = [];
        for (let i = 0; i < 6; i++) rs.push(await store.append(stream('two'), [event('E', { i })], 'any'));
        const a = collect();
        const b = collect();
        const subA = store.subscribeAll(start, a.handler);
        const subB = store.subscribeAll(rs[2].position, b.handler);
        try {
          const last = (await store.append(stream('two'), [event('E', { i: 6 })], 'any')).position;
          await Promise.all([subA.caughtUpTo(last), subB.caughtUpTo(last)]);
          expect(a.received.filter(mine).map((e) => (e.data as { i: number }).i)).toEqual([0, 1, 2, 3, 4, 5, 6]);
          expect(b.received.filter(mine).map((e) => (e.data as { i: number }).i)).toEqual([3, 4, 5, 6]);
        } finally {
          await Promise.all([subA.close(), subB.close()]);
        }
      });
    });
  });
}

function event(type: string, data: Record<string, unknown>): NewEvent {
  const id = randomUUID();
  return { id, type, version: 1, data, metadata: { occurredAt: new Date().toISOString(), correlationId: id, causationId: id } };
}

function strip({ id, type, version, data, metadata }: StoredEvent): NewEvent {
  return { id, type, version, data, metadata };
}

function expectStrictlyIncreasing(values: number[]): void {
  for (let i = 1; i < values.length; i++) {
    if (!(values[i] > values[i - 1]))
      throw new Error(`positions not strictly increasing at ${i}: ${values[i - 1]} then ${values[i]}`);
  }
}

const settle = () => new Promise((r) => setTimeout(r, 50));
