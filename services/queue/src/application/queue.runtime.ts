import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { QUEUE_ADMISSION_STREAM, TokenExpiryReason } from '@concert/contracts';
import { envelope, EVENT_STORE, EventStore, execute, Subscription, WrongExpectedRevisionError } from '@concert/event-store';
import { AppConfig, CLOCK, Clock, CONFIG, KeyedMutex } from '@concert/platform';
import { queueUserStream } from '@concert/contracts';
import { admit } from '../domain/admission';
import { userTokenDecider } from '../domain/user-token.decider';
import { QueueLine } from '../line/queue-line';

const SWEEP_INTERVAL_MS = 250;

/**
 * Owns the queue's read model (the line), the admission loop and the expiry sweeper.
 * Admission appends to one stream with an expected revision, so the cap holds across instances.
 */
@Injectable()
export class QueueRuntime implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Queue');
  readonly line: QueueLine;
  readonly userLocks = new KeyedMutex();
  private readonly admissionLock = new KeyedMutex();
  private subscription?: Subscription;
  private sweeper?: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CONFIG) readonly config: AppConfig,
    @Inject(CLOCK) readonly clock: Clock,
  ) {
    this.line = new QueueLine(() => clock.now().getTime(), Math.max(1, config.queueMaxActive / (config.activeTokenTtlSeconds / 60)));
  }

  get idleTimeoutMs(): number {
    return this.config.queueIdleTimeoutSeconds * 1000;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = this.store.subscribeAll(0, (e) => this.line.apply(e), { streamPrefixes: ['queue-'] });
    await this.catchUp();
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    await this.subscription?.close();
  }

  /** Read-your-writes: wait until the line has folded everything up to `position` (default: the store's head). */
  async catchUp(position?: number): Promise<void> {
    const target = position ?? (await this.store.headPosition());
    await this.subscription?.caughtUpTo(target);
  }

  async expire(userId: string, tokenId: string, reason: TokenExpiryReason): Promise<void> {
    await this.userLocks.run(userId, async () => {
      const result = await execute(this.store, queueUserStream(userId), userTokenDecider, {
        type: 'ExpireToken',
        userId,
        tokenId,
        reason,
        now: this.clock.now(),
      }, { now: this.clock.now() });
      if (result.appended) await this.catchUp(result.appended.position);
    });
  }

  /** Fills free slots first come first in; serialised in this process, fenced by revision across processes. */
  admit(): Promise<void> {
    return this.admissionLock.run('admission', async () => {
      for (let attempt = 0; attempt < 10; attempt++) {
        await this.catchUp();
        const now = this.clock.now();
        const candidates = this.line.firstWaiting(this.config.queueMaxActive - this.line.activeCount());
        const events = admit(candidates, this.line.activeCount(), this.config.queueMaxActive, now, this.config.activeTokenTtlSeconds);
        if (events.length === 0) return;
        const expected = this.line.admissionRevision === -1 ? 'no_stream' : this.line.admissionRevision;
        try {
          const appended = await this.store.append(QUEUE_ADMISSION_STREAM, envelope(events, now), expected);
          await this.catchUp(appended.position);
          return;
        } catch (err) {
          if (!(err instanceof WrongExpectedRevisionError)) throw err;
        }
      }
    });
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const now = this.clock.now().getTime();
      for (const r of this.line.activePastTtl(now)) await this.expire(r.userId, r.tokenId, 'ACTIVE_TTL');
      for (const r of this.line.idleWaiting(now, this.idleTimeoutMs)) await this.expire(r.userId, r.tokenId, 'IDLE');
      if (this.line.waitingCount() > 0 && this.line.activeCount() < this.config.queueMaxActive) await this.admit();
    } catch (err) {
      this.logger.error(`sweep failed: ${(err as Error).message}`);
    } finally {
      this.sweeping = false;
    }
  }
}
