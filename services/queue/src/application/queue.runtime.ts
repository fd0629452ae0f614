import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { QUEUE_ADMISSION_STREAM, queueUserStream, TokenExpiryReason } from '@concert/contracts';
import { envelope, EVENT_STORE, EventStore, execute, Subscription, WrongExpectedRevisionError } from '@concert/event-store';
import { AppConfig, CLOCK, Clock, CONFIG, KeyedMutex } from '@concert/platform';
import { admit, guaranteedAdmissionsPerMinute } from '../domain/admission';
import { userTokenDecider } from '../domain/user-token.decider';
import { QueueLine, TokenRecord } from '../line/queue-line';

const SWEEP_INTERVAL_MS = 250;
const ADMISSION_ATTEMPTS = 10;

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
  /** An admission run queued but not started yet: later callers join it instead of queueing another. */
  private pendingAdmission?: Promise<void>;
  private subscription?: Subscription;
  private sweeper?: NodeJS.Timeout;
  private sweeping = false;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CONFIG) readonly config: AppConfig,
    @Inject(CLOCK) readonly clock: Clock,
  ) {
    this.line = new QueueLine(
      () => clock.now().getTime(),
      guaranteedAdmissionsPerMinute(config.queueMaxActive, config.activeTokenTtlSeconds),
    );
  }

  get idleTimeoutMs(): number {
    return this.config.queueIdleTimeoutSeconds * 1000;
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.open();
    this.sweeper = setInterval(() => void this.sweep(), SWEEP_INTERVAL_MS);
    this.sweeper.unref();
  }

  /** Rebuilds the line from the queue's events and keeps it live. */
  async open(): Promise<void> {
    this.subscription = this.store.subscribeAll(0, (e) => this.line.apply(e), { streamPrefixes: ['queue-'] });
    await this.catchUp();
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

  /** Records that a WAITING token's holder still polls (see TokenSeen); off the poll's path, errors only logged. */
  recordSeen(record: TokenRecord): void {
    record.lastRecordedSeenAt = record.lastSeenAt;
    const { userId, tokenId } = record;
    void this.userLocks
      .run(userId, () => {
        const now = this.clock.now();
        return execute(
          this.store,
          queueUserStream(userId),
          userTokenDecider,
          { type: 'RecordSeen', userId, tokenId, now },
          { now },
        );
      })
      .catch((err: unknown) => this.logger.warn(`recording that ${tokenId} was seen failed: ${String(err)}`));
  }

  async expire(userId: string, tokenId: string, reason: TokenExpiryReason): Promise<void> {
    await this.userLocks.run(userId, () => this.appendExpiry(userId, tokenId, reason));
  }

  /**
   * Records the end the clock already decided (TTL, idle), checked again under the user's lock against
   * the line as it is now: the sweep's list was taken earlier, and another instance may have moved on.
   */
  private async expireIfOver(record: TokenRecord, reason: TokenExpiryReason): Promise<void> {
    await this.userLocks.run(record.userId, async () => {
      if (this.line.overReason(record, this.clock.now().getTime(), this.idleTimeoutMs) !== reason) return;
      await this.appendExpiry(record.userId, record.tokenId, reason);
    });
  }

  private async appendExpiry(userId: string, tokenId: string, reason: TokenExpiryReason): Promise<void> {
    const now = this.clock.now();
    const result = await execute(
      this.store,
      queueUserStream(userId),
      userTokenDecider,
      { type: 'ExpireToken', userId, tokenId, reason, now },
      { now },
    );
    if (result.appended) await this.catchUp(result.appended.position);
  }

  /**
   * Fills free slots first come first in. Runs one at a time in this process (a run that has not
   * started yet is shared, as it will see every token folded so far); fenced by the admission
   * stream's revision across processes.
   */
  admit(): Promise<void> {
    if (this.pendingAdmission) return this.pendingAdmission;
    const run: Promise<void> = this.admissionLock.run('admission', () => {
      if (this.pendingAdmission === run) this.pendingAdmission = undefined;
      return this.admitNow();
    });
    this.pendingAdmission = run;
    return run;
  }

  /** Starts an admission run without waiting for it; a failure is logged and left to the next sweep. */
  admitSoon(): void {
    this.admit().catch((err: unknown) => this.logger.error(`admission failed: ${(err as Error).message}`));
  }

  private async admitNow(): Promise<void> {
    for (let attempt = 0; attempt < ADMISSION_ATTEMPTS; attempt++) {
      await this.catchUp();
      const now = this.clock.now();
      const events = admit({
        candidates: this.line.waitingInTicketOrder(),
        activeCount: this.line.activeCount(),
        maxActive: this.config.queueMaxActive,
        now,
        activeTtlSeconds: this.config.activeTokenTtlSeconds,
        idleTimeoutMs: this.idleTimeoutMs,
      });
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
    this.logger.warn(`admission lost ${ADMISSION_ATTEMPTS} races in a row; the next sweep retries`);
  }

  /** Records TTL and idle expiries the clock has decided, then fills the freed slots. */
  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      const now = this.clock.now().getTime();
      for (const r of this.line.activePastTtl(now)) await this.expireIfOver(r, 'ACTIVE_TTL');
      for (const r of this.line.idleWaiting(now, this.idleTimeoutMs)) await this.expireIfOver(r, 'IDLE');
      if (this.line.waitingCount() > 0 && this.line.activeCount() < this.config.queueMaxActive) await this.admit();
    } catch (err) {
      this.logger.error(`sweep failed: ${(err as Error).message}`);
    } finally {
      this.sweeping = false;
    }
  }
}
