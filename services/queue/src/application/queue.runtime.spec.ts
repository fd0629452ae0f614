import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NewEvent, QUEUE_ADMISSION_STREAM, queueUserStream, StoredEvent, TokenExpiryReason } from '@concert/contracts';
import {
  AppendResult,
  EventHandler,
  EventStore,
  ExpectedRevision,
  InMemoryEventStore,
  PullSubscription,
  SqliteEventStore,
  SubscribeOptions,
  Subscription,
} from '@concert/event-store';
import { AppConfig, Clock, loadConfig } from '@concert/platform';
import { IssueTokenCommand, IssueTokenHandler } from './issue-token.handler';
import { QueueRuntime } from './queue.runtime';
import { ReleaseTokenCommand, ReleaseTokenHandler } from './release-token.handler';
import { TokenStatusHandler, TokenStatusQuery } from './token-status.handler';

const T0 = Date.parse('2030-01-01T00:00:00Z');

class FakeClock implements Clock {
  constructor(public ms = T0) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(seconds: number): void {
    this.ms += seconds * 1000;
  }
}

/** The in-memory store with two knobs: appends to one stream can be held, and reads of the log can lag. */
class ControlledStore implements EventStore {
  private held?: { streamId: string; reached: () => void; gate: Promise<void> };
  constructor(
    readonly inner: EventStore,
    private readonly readLagMs = 0,
  ) {}

  /** The next append to `streamId` waits until `release` is called; `reached` resolves when it starts waiting. */
  holdNextAppendTo(streamId: string): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reached!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const reachedPromise = new Promise<void>((r) => (reached = r));
    this.held = { streamId, reached, gate };
    return { reached: reachedPromise, release };
  }

  async append(streamId: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    if (this.held?.streamId === streamId) {
      const { reached, gate } = this.held;
      this.held = undefined;
      reached();
      await gate;
    }
    return this.inner.append(streamId, events, expected);
  }
  readStream(streamId: string, fromRevision?: number): Promise<StoredEvent[]> {
    return this.inner.readStream(streamId, fromRevision);
  }
  async readAll(after: number, limit: number): Promise<StoredEvent[]> {
    if (this.readLagMs) await new Promise((r) => setTimeout(r, this.readLagMs));
    return this.inner.readAll(after, limit);
  }
  subscribeAll(after: number, handler: EventHandler, options: SubscribeOptions = {}): Subscription {
    if (!this.readLagMs) return this.inner.subscribeAll(after, handler, options);
    return new PullSubscription(
      (a, l) => this.readAll(a, l),
      after,
      handler,
      options,
      () => undefined,
      5,
    );
  }
  headPosition(): Promise<number> {
    return this.inner.headPosition();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * The in-memory store declared the one writer of its log (as the embedded SQLite store is), recording
 * for each append how many appends had settled when it was called.
 */
class SoleWriterStore extends InMemoryEventStore {
  readonly soleWriter = true;
  readonly calls: { streamId: string; settledBefore: number }[] = [];
  private settled = 0;

  override append(streamId: string, events: NewEvent[], expected: ExpectedRevision): Promise<AppendResult> {
    this.calls.push({ streamId, settledBefore: this.settled });
    return super.append(streamId, events, expected).finally(() => this.settled++);
  }
}

interface Instance {
  runtime: QueueRuntime;
  issue(userId: string): ReturnType<IssueTokenHandler['execute']>;
  poll(tokenId: string): ReturnType<TokenStatusHandler['execute']>;
  peek(tokenId: string): ReturnType<TokenStatusHandler['execute']>;
  release(userId: string, reason?: TokenExpiryReason): Promise<{ released: boolean }>;
  releaseOnly(userId: string): Promise<{ released: boolean }>;
}

const settings = (env: Record<string, string>): AppConfig =>
  loadConfig({ JWT_SECRET: 'x'.repeat(40), DATA_DIR: '/nonexistent/queue-runtime-spec', ...env });

const opened: QueueRuntime[] = [];

/** One queue instance over `store`, without its background sweeper: the spec calls `sweep()` itself. */
async function instance(store: EventStore, clock: Clock, env: Record<string, string>): Promise<Instance> {
  const runtime = new QueueRuntime(store, settings(env), clock);
  await runtime.open();
  opened.push(runtime);
  const issuer = new IssueTokenHandler(store, runtime);
  const status = new TokenStatusHandler(runtime);
  const releaser = new ReleaseTokenHandler(runtime);
  return {
    runtime,
    issue: (userId) => issuer.execute(new IssueTokenCommand(userId)),
    poll: (tokenId) => status.execute(new TokenStatusQuery(tokenId, true)),
    peek: (tokenId) => status.execute(new TokenStatusQuery(tokenId, false)),
    // The release answers before the admission it starts: wait for that admission too.
    release: async (userId, reason = 'PAID') => {
      const released = await releaser.execute(new ReleaseTokenCommand(userId, reason));
      await runtime.admit();
      return released;
    },
    releaseOnly: (userId) => releaser.execute(new ReleaseTokenCommand(userId, 'PAID')),
  };
}

afterEach(async () => {
  for (const runtime of opened.splice(0)) await runtime.onModuleDestroy();
});

const typesIn = async (store: EventStore, userId: string) => (await store.readStream(queueUserStream(userId))).map((e) => e.type);

describe('QueueRuntime', () => {
  const env = { QUEUE_MAX_ACTIVE: '1', QUEUE_IDLE_TIMEOUT_SECONDS: '10', ACTIVE_TOKEN_TTL_SECONDS: '60' };

  it('admits the first tokens up to the cap and lines up the rest', async () => {
    const q = await instance(new InMemoryEventStore(), new FakeClock(), { ...env, QUEUE_MAX_ACTIVE: '2' });
    const replies = [];
    for (let i = 0; i < 4; i++) replies.push(await q.issue(randomUUID()));
    expect(replies.map((r) => [r.status, r.queuePosition])).toEqual([
      ['ACTIVE', 0],
      ['ACTIVE', 0],
      ['WAITING', 1],
      ['WAITING', 2],
    ]);
  });

  it('gives the slot of a payer to the next in line and reports the payer EXPIRED', async () => {
    const store = new InMemoryEventStore();
    const q = await instance(store, new FakeClock(), env);
    const [payer, next] = [randomUUID(), randomUUID()];
    const a = await q.issue(payer);
    const b = await q.issue(next);
    expect(await q.release(payer)).toEqual({ released: true });
    expect(await q.poll(b.tokenId)).toMatchObject({ status: 'ACTIVE', queuePosition: 0, estimatedWaitTime: 0 });
    expect(await q.poll(a.tokenId)).toMatchObject({ status: 'EXPIRED', queuePosition: 0, estimatedWaitTime: 0 });
    expect(await q.release(payer)).toEqual({ released: false });
    expect(await q.release(randomUUID())).toEqual({ released: false });
    const expired = (await store.readStream(queueUserStream(payer))).find((e) => e.type === 'TokenExpired');
    expect(expired?.data).toMatchObject({ tokenId: a.tokenId, reason: 'PAID' });
  });

  it('answers a release once the token has ended, and admits the next right after without holding the payer', async () => {
    const store = new ControlledStore(new InMemoryEventStore());
    const q = await instance(store, new FakeClock(), env);
    const [payer, next] = [randomUUID(), randomUUID()];
    const a = await q.issue(payer);
    const b = await q.issue(next);
    const held = store.holdNextAppendTo(QUEUE_ADMISSION_STREAM);
    expect(await q.releaseOnly(payer)).toEqual({ released: true });
    await held.reached;
    expect(await q.peek(a.tokenId)).toMatchObject({ status: 'EXPIRED' });
    expect(await q.peek(b.tokenId)).toMatchObject({ status: 'WAITING', queuePosition: 1 });
    held.release();
    await q.runtime.admit();
    expect(await q.peek(b.tokenId)).toMatchObject({ status: 'ACTIVE', queuePosition: 0 });
  });

  it('does not let a late payment release end the next token the user is waiting with', async () => {
    const clock = new FakeClock();
    const q = await instance(new InMemoryEventStore(), clock, env);
    const [payer, other] = [randomUUID(), randomUUID()];
    await q.issue(payer);
    await q.release(payer);
    await q.issue(other);
    const again = await q.issue(payer);
    expect(again.status).toBe('WAITING');
    expect(await q.release(payer)).toEqual({ released: false });
    expect(await q.peek(again.tokenId)).toMatchObject({ status: 'WAITING', queuePosition: 1 });
  });

  it('expires an active token at its TTL and admits the next', async () => {
    const clock = new FakeClock();
    const store = new InMemoryEventStore();
    const q = await instance(store, clock, { ...env, QUEUE_IDLE_TIMEOUT_SECONDS: '1000' });
    const [first, second] = [randomUUID(), randomUUID()];
    const a = await q.issue(first);
    const b = await q.issue(second);
    clock.advance(59);
    await q.poll(b.tokenId);
    await q.runtime.sweep();
    expect((await q.peek(a.tokenId)).status).toBe('ACTIVE');
    clock.advance(1);
    expect((await q.peek(a.tokenId)).status).toBe('EXPIRED');
    await q.runtime.sweep();
    expect((await q.peek(b.tokenId)).status).toBe('ACTIVE');
    const expired = (await store.readStream(queueUserStream(first))).find((e) => e.type === 'TokenExpired');
    expect(expired?.data).toMatchObject({ reason: 'ACTIVE_TTL' });
  });

  it('admits the next polled token, not one whose holder stopped polling before the sweeper noticed', async () => {
    const clock = new FakeClock();
    const q = await instance(new InMemoryEventStore(), clock, env);
    const [payer, leaver, stayer] = [randomUUID(), randomUUID(), randomUUID()];
    await q.issue(payer);
    const gone = await q.issue(leaver);
    clock.advance(8);
    const kept = await q.issue(stayer);
    clock.advance(4);
    await q.release(payer);
    expect((await q.peek(gone.tokenId)).status).toBe('EXPIRED');
    expect((await q.poll(kept.tokenId)).status).toBe('ACTIVE');
  });

  it('skips tokens gone idle while the sweeper is still busy recording the earlier ones', async () => {
    const clock = new FakeClock();
    const store = new ControlledStore(new InMemoryEventStore());
    const q = await instance(store, clock, env);
    const [payer, leaver, otherLeaver, stayer] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    await q.issue(payer);
    const gone = await q.issue(leaver);
    const alsoGone = await q.issue(otherLeaver);
    clock.advance(6);
    const kept = await q.issue(stayer);
    clock.advance(5);
    const held = store.holdNextAppendTo(queueUserStream(leaver));
    const sweeping = q.runtime.sweep();
    await held.reached;
    expect(await q.poll(kept.tokenId)).toMatchObject({ status: 'WAITING', queuePosition: 3 });
    expect(await q.poll(alsoGone.tokenId)).toMatchObject({ status: 'EXPIRED', queuePosition: 0 });
    await q.release(payer);
    expect(await q.peek(kept.tokenId)).toMatchObject({ status: 'ACTIVE' });
    expect(await q.peek(gone.tokenId)).toMatchObject({ status: 'EXPIRED' });
    held.release();
    await sweeping;
    expect((await q.peek(kept.tokenId)).status).toBe('ACTIVE');
    expect((await q.peek(gone.tokenId)).status).toBe('EXPIRED');
    expect((await q.peek(alsoGone.tokenId)).status).toBe('EXPIRED');
    expect(await typesIn(store, otherLeaver)).toEqual(['TokenIssued', 'TokenExpired']);
  });

  it('gives a second instance the token the first one just issued, even when its line lags', async () => {
    const shared = new InMemoryEventStore();
    const clock = new FakeClock();
    const one = await instance(shared, clock, env);
    const two = await instance(new ControlledStore(shared, 30), clock, env);
    const userId = randomUUID();
    const first = await one.issue(userId);
    const again = await two.issue(userId);
    expect(again.tokenId).toBe(first.tokenId);
    expect((await two.poll(first.tokenId)).status).toBe('ACTIVE');
  });

  it('answers for a token another instance just issued', async () => {
    const shared = new InMemoryEventStore();
    const clock = new FakeClock();
    const one = await instance(shared, clock, env);
    const two = await instance(new ControlledStore(shared, 30), clock, env);
    const issued = await one.issue(randomUUID());
    expect(await two.poll(issued.tokenId)).toMatchObject({ known: true, status: 'ACTIVE' });
  });

  it('keeps a token polled through one instance from being expired as idle by another', async () => {
    const shared = new InMemoryEventStore();
    const clock = new FakeClock();
    const one = await instance(shared, clock, env);
    const two = await instance(shared, clock, env);
    await one.issue(randomUUID());
    const waiting = await one.issue(randomUUID());
    for (let i = 0; i < 4; i++) {
      clock.advance(4);
      expect((await one.poll(waiting.tokenId)).status).toBe('WAITING');
      await new Promise((r) => setTimeout(r, 20));
    }
    await two.runtime.catchUp();
    await two.runtime.sweep();
    expect((await two.peek(waiting.tokenId)).status).toBe('WAITING');
    expect(await typesIn(shared, waiting.userId)).not.toContain('TokenExpired');
  });

  it('keeps the cap and the ticket order while two instances admit at once', async () => {
    const shared = new InMemoryEventStore();
    const clock = new FakeClock();
    const capped = { ...env, QUEUE_MAX_ACTIVE: '3', QUEUE_IDLE_TIMEOUT_SECONDS: '1000' };
    const one = await instance(shared, clock, capped);
    const two = await instance(shared, clock, capped);
    const users = Array.from({ length: 30 }, () => randomUUID());
    const replies = await Promise.all(users.map((u, i) => (i % 2 ? two : one).issue(u)));
    for (let round = 0; round < 6; round++) {
      clock.advance(61);
      await Promise.all([one.runtime.sweep(), two.runtime.sweep(), one.runtime.sweep(), two.runtime.sweep()]);
    }
    const events = await shared.readAll(0, 10_000);
    const tickets = events.filter((e) => e.type === 'TokenIssued').map((e) => (e.data as { tokenId: string }).tokenId);
    const admitted = events
      .filter((e) => e.streamId === QUEUE_ADMISSION_STREAM)
      .map((e) => (e.data as { tokenId: string }).tokenId);
    expect(new Set(replies.map((r) => r.tokenId)).size).toBe(30);
    expect(admitted).toEqual(tickets.slice(0, admitted.length));
    expect(admitted.length).toBe(21);
    let active = 0;
    let peak = 0;
    for (const e of events) {
      if (e.type === 'TokenActivated') peak = Math.max(peak, ++active);
      if (e.type === 'TokenExpired') active--;
    }
    expect(peak).toBe(3);
  });

  describe("where this process is the store's one writer", () => {
    const admissionEvents = async (store: EventStore) =>
      (await store.readAll(0, 10_000)).filter((e) => e.streamId === QUEUE_ADMISSION_STREAM);

    it('lets a new token in with its issue: the activation is queued before the issue has committed', async () => {
      const store = new SoleWriterStore();
      const q = await instance(store, new FakeClock(), { ...env, QUEUE_MAX_ACTIVE: '2' });
      const userId = randomUUID();
      const reply = await q.issue(userId);
      expect(reply).toMatchObject({ status: 'ACTIVE', queuePosition: 0 });
      expect(store.calls).toEqual([
        { streamId: queueUserStream(userId), settledBefore: 0 },
        { streamId: QUEUE_ADMISSION_STREAM, settledBefore: 0 },
      ]);
      const events = await store.readAll(0, 100);
      expect(events.map((e) => [e.type, (e.data as { tokenId: string }).tokenId])).toEqual([
        ['TokenIssued', reply.tokenId],
        ['TokenActivated', reply.tokenId],
      ]);
    });

    it('keeps the cap and the ticket order when many new users arrive at once', async () => {
      const store = new SoleWriterStore();
      const q = await instance(store, new FakeClock(), { ...env, QUEUE_MAX_ACTIVE: '3', QUEUE_IDLE_TIMEOUT_SECONDS: '1000' });
      const replies = await Promise.all(Array.from({ length: 20 }, () => q.issue(randomUUID())));
      const tickets = (await store.readAll(0, 10_000))
        .filter((e) => e.type === 'TokenIssued')
        .map((e) => (e.data as { tokenId: string }).tokenId);
      const admitted = (await admissionEvents(store)).map((e) => (e.data as { tokenId: string }).tokenId);
      expect(admitted).toEqual(tickets.slice(0, 3));
      const views = await Promise.all(tickets.map((t) => q.peek(t)));
      expect(views.map((v) => v.queuePosition)).toEqual([0, 0, 0, ...Array.from({ length: 17 }, (_, i) => i + 1)]);
      expect(
        replies
          .filter((r) => r.status === 'ACTIVE')
          .map((r) => r.tokenId)
          .sort(),
      ).toEqual(admitted.slice().sort());

      await q.release(replies.find((r) => r.tokenId === tickets[0])!.userId);
      expect((await q.peek(tickets[3])).status).toBe('ACTIVE');
      expect((await admissionEvents(store)).map((e) => (e.data as { tokenId: string }).tokenId)).toEqual(tickets.slice(0, 4));
    });

    it('never lets a new token in ahead of one already waiting, even with a slot just freed', async () => {
      const store = new SoleWriterStore();
      const q = await instance(store, new FakeClock(), env);
      const first = await q.issue(randomUUID());
      const second = await q.issue(randomUUID());
      expect(second.status).toBe('WAITING');
      // The payer's release frees the slot and starts an admission run; a new user arrives meanwhile.
      const [, late] = await Promise.all([q.releaseOnly(first.userId), q.issue(randomUUID())]);
      await q.runtime.admit();
      expect((await q.peek(second.tokenId)).status).toBe('ACTIVE');
      expect(await q.peek(late.tokenId)).toMatchObject({ status: 'WAITING', queuePosition: 1 });
    });

    it('on the SQLite store: each activation right behind its issue, the cap and the ticket order kept', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'queue-runtime-'));
      const store = new SqliteEventStore(join(dir, 'events.db'));
      try {
        const q = await instance(store, new FakeClock(), { ...env, QUEUE_MAX_ACTIVE: '3', QUEUE_IDLE_TIMEOUT_SECONDS: '1000' });
        const replies = await Promise.all(Array.from({ length: 8 }, () => q.issue(randomUUID())));
        const events = await store.readAll(0, 100);
        const tokenOf = (e: StoredEvent) => (e.data as { tokenId: string }).tokenId;
        const issued = events.filter((e) => e.type === 'TokenIssued');
        const activated = events.filter((e) => e.type === 'TokenActivated');
        expect(issued).toHaveLength(8);
        expect(activated.map(tokenOf)).toEqual(issued.slice(0, 3).map(tokenOf));
        for (const [i, a] of activated.entries()) expect(a.position).toBe(issued[i].position + 1);
        expect(replies.filter((r) => r.status === 'ACTIVE').map((r) => r.tokenId)).toEqual(activated.map(tokenOf));
        await q.runtime.onModuleDestroy();
      } finally {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it('rebuilds the same line after a restart', async () => {
      const store = new SoleWriterStore();
      const clock = new FakeClock();
      const before = await instance(store, clock, { ...env, QUEUE_MAX_ACTIVE: '2' });
      const replies = await Promise.all(Array.from({ length: 4 }, () => before.issue(randomUUID())));
      const views = async (q: Instance) => (await Promise.all(replies.map((r) => q.peek(r.tokenId)))).map((v) => v.status);
      const seen = await views(before);
      expect(seen.filter((s) => s === 'ACTIVE')).toHaveLength(2);
      await before.runtime.onModuleDestroy();
      const after = await instance(store, clock, { ...env, QUEUE_MAX_ACTIVE: '2' });
      expect(await views(after)).toEqual(seen);
    });

    it('leaves admission to the runs when two queue runtimes share the store object', async () => {
      const store = new SoleWriterStore();
      const clock = new FakeClock();
      const one = await instance(store, clock, { ...env, QUEUE_MAX_ACTIVE: '5' });
      await instance(store, clock, { ...env, QUEUE_MAX_ACTIVE: '5' });
      const userId = randomUUID();
      expect((await one.issue(userId)).status).toBe('ACTIVE');
      expect(store.calls).toEqual([
        { streamId: queueUserStream(userId), settledBefore: 0 },
        { streamId: QUEUE_ADMISSION_STREAM, settledBefore: 1 },
      ]);
    });

    it('leaves admission to the runs on a store other instances may write', async () => {
      const store = new SoleWriterStore();
      Object.defineProperty(store, 'soleWriter', { value: false });
      const q = await instance(store, new FakeClock(), env);
      const userId = randomUUID();
      expect((await q.issue(userId)).status).toBe('ACTIVE');
      expect(store.calls).toEqual([
        { streamId: queueUserStream(userId), settledBefore: 0 },
        { streamId: QUEUE_ADMISSION_STREAM, settledBefore: 1 },
      ]);
    });
  });

  describe('after a restart', () => {
    it('rebuilds statuses and places from the events', async () => {
      const store = new InMemoryEventStore();
      const clock = new FakeClock();
      const before = await instance(store, clock, { ...env, QUEUE_MAX_ACTIVE: '2' });
      const replies = [];
      for (let i = 0; i < 5; i++) replies.push(await before.issue(randomUUID()));
      await before.release(replies[0].userId);
      await before.runtime.onModuleDestroy();

      const after = await instance(store, clock, { ...env, QUEUE_MAX_ACTIVE: '2' });
      const views = [];
      for (const r of replies) views.push(await after.peek(r.tokenId));
      expect(views.map((v) => [v.status, v.queuePosition])).toEqual([
        ['EXPIRED', 0],
        ['ACTIVE', 0],
        ['ACTIVE', 0],
        ['WAITING', 1],
        ['WAITING', 2],
      ]);
      const again = await after.issue(replies[4].userId);
      expect(again.tokenId).toBe(replies[4].tokenId);
    });

    it('does not count the downtime as idle, then lets go of tokens nobody polls', async () => {
      const store = new InMemoryEventStore();
      const clock = new FakeClock();
      const longTtl = { ...env, ACTIVE_TOKEN_TTL_SECONDS: '7200' };
      const before = await instance(store, clock, longTtl);
      await before.issue(randomUUID());
      const waiting = await before.issue(randomUUID());
      await before.runtime.onModuleDestroy();

      clock.advance(3600);
      const after = await instance(store, clock, longTtl);
      await after.runtime.sweep();
      expect(await after.peek(waiting.tokenId)).toMatchObject({ status: 'WAITING', queuePosition: 1 });
      clock.advance(11);
      await after.runtime.sweep();
      expect((await after.peek(waiting.tokenId)).status).toBe('EXPIRED');
      expect(await typesIn(store, waiting.userId)).toEqual(['TokenIssued', 'TokenExpired']);
    });

    it('expires at once the active tokens whose TTL ran out while it was down', async () => {
      const store = new InMemoryEventStore();
      const clock = new FakeClock();
      const before = await instance(store, clock, env);
      const active = await before.issue(randomUUID());
      const waiting = await before.issue(randomUUID());
      await before.runtime.onModuleDestroy();

      clock.advance(120);
      const after = await instance(store, clock, env);
      expect((await after.peek(active.tokenId)).status).toBe('EXPIRED');
      await after.runtime.sweep();
      expect((await after.peek(waiting.tokenId)).status).toBe('ACTIVE');
    });
  });
});
