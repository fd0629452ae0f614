import { Inject, Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { QUEUE_ADMISSION_STREAM, queueUserStream, TokenActivated, TokenExpiryReason } from '@concert/contracts';
import {
  AppendResult,
  envelope,
  EVENT_STORE,
  EventRef,
  EventStore,
  execute,
  Subscription,
  WrongExpectedRevisionError,
} from '@concert/event-store';
import { AppConfig, CLOCK, Clock, CONFIG, KeyedMutex } from '@concert/platform';
import { admit, admitOnIssue, guaranteedAdmissionsPerMinute } from '../domain/admission';
import { userTokenDecider } from '../domain/user-token.decider';
import { QueueLine, TokenRecord } from '../line/queue-line';

const SWEEP_INTERVAL_MS = 250;
/** Queue runtimes open on each store object: tokens are let in with their issue only where there is one. */
const runtimesOnStore = new WeakMap<EventStore, number>();
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
  /**
   * Admission appends queued and not yet folded into the line, and the revision the next one expects
   * while there are any: appends are chained, so one can be queued while the last one commits.
   */
  private admissionsInFlight = 0;
  private admissionTail = -1;
  /** Waiting tokens an admission append on its way activates (they still read WAITING in the line). */
  private readonly activatingFromLine = new Set<string>();
  /** New tokens admitted with their issue, the activation on its way (not in the line yet). */
  private activatingOnIssue = 0;
  /** New tokens issued here and left to wait, not in the line yet: nobody issued after them goes first. */
  private waitingOnIssue = 0;
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
    runtimesOnStore.set(this.store, (runtimesOnStore.get(this.store) ?? 0) + 1);
    await this.catchUp();
  }

  async onModuleDestroy(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.subscription) runtimesOnStore.set(this.store, (runtimesOnStore.get(this.store) ?? 1) - 1);
    await this.subscription?.close();
    this.subscription = undefined;
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

  /** `after`: the end is stored only if that event is (see AppendOptions.after). */
  async expire(userId: string, tokenId: string, reason: TokenExpiryReason, after?: EventRef): Promise<void> {
    await this.userLocks.run(userId, () => this.appendExpiry(userId, tokenId, reason, after));
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

  private async appendExpiry(userId: string, tokenId: string, reason: TokenExpiryReason, after?: EventRef): Promise<void> {
    const now = this.clock.now();
    const result = await execute(
      this.store,
      queueUserStream(userId),
      userTokenDecider,
      { type: 'ExpireToken', userId, tokenId, reason, now },
      { now, after },
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
        candidates: this.waitingNotActivating(),
        activeCount: this.line.activeCount() + this.activatingFromLine.size + this.activatingOnIssue,
        maxActive: this.config.queueMaxActive,
        now,
        activeTtlSeconds: this.config.activeTokenTtlSeconds,
        idleTimeoutMs: this.idleTimeoutMs,
      });
      if (events.length === 0) return;
      try {
        await this.appendAdmission(events, now, true);
        return;
      } catch (err) {
        if (!(err instanceof WrongExpectedRevisionError)) throw err;
      }
    }
    this.logger.warn(`admission lost ${ADMISSION_ATTEMPTS} races in a row; the next sweep retries`);
  }

  private *waitingNotActivating(): Generator<TokenRecord> {
    for (const record of this.line.waitingInTicketOrder()) if (!this.activatingFromLine.has(record.tokenId)) yield record;
  }

  /**
   * Queues a new token's activation in the same tick as its `TokenIssued`, when nobody is waiting and a
   * slot is free: both go to the store in one group commit, and the holder hears ACTIVE after one commit
   * instead of two. Only where this process is the store's one writer (the embedded mode) and this is
   * the one queue runtime on it: there nobody else can issue a token between them, so first come, first
   * in holds. Call it right after the `TokenIssued` append was queued (same tick). Resolves true once the
   * activation is in the line, false when it failed (the token then waits for an admission run); undefined
   * when the token must wait (then call `issuedWaiting` instead).
   */
  admitWithIssue(tokenId: string, userId: string, now: Date): Promise<boolean> | undefined {
    // The counts below are this runtime's own: another on the same store could have a token issued to
    // wait that this one does not know of.
    if (!this.store.soleWriter || runtimesOnStore.get(this.store) !== 1) return undefined;
    const events = admitOnIssue({
      tokenId,
      userId,
      waitingCount: this.line.waitingCount() - this.activatingFromLine.size + this.waitingOnIssue,
      activeCount: this.line.activeCount() + this.activatingFromLine.size + this.activatingOnIssue,
      maxActive: this.config.queueMaxActive,
      now,
      activeTtlSeconds: this.config.activeTokenTtlSeconds,
    });
    if (events.length === 0) return undefined;
    return this.appendAdmission(events, now, false).then(
      () => true,
      (err: unknown) => {
        this.logger.warn(`admission of ${tokenId} with its issue failed, it waits for the next run: ${String(err)}`);
        return false;
      },
    );
  }

  /** A token issued here that waits for an admission run: counted as waiting until `folded` runs. */
  issuedWaiting(): { folded: () => void } {
    this.waitingOnIssue++;
    let done = false;
    return {
      folded: () => {
        if (done) return;
        done = true;
        this.waitingOnIssue--;
      },
    };
  }

  /**
   * Appends activations to the admission stream, chained on any still on their way (the expected
   * revision is the one the last queued append will leave), and resolves once the line has folded them.
   * A failed append fails those chained on it too; the next, with none in flight, starts from the line.
   */
  private async appendAdmission(events: TokenActivated[], now: Date, fromLine: boolean): Promise<AppendResult> {
    const base = this.admissionsInFlight > 0 ? this.admissionTail : this.line.admissionRevision;
    this.admissionTail = base + events.length;
    this.admissionsInFlight++;
    if (fromLine) for (const e of events) this.activatingFromLine.add(e.data.tokenId);
    else this.activatingOnIssue += events.length;
    const settled = (): void => {
      this.admissionsInFlight--;
      if (!fromLine) this.activatingOnIssue -= events.length;
    };
    let appended: AppendResult;
    try {
      appended = await this.store.append(QUEUE_ADMISSION_STREAM, envelope(events, now), base === -1 ? 'no_stream' : base);
    } catch (err) {
      settled();
      throw err;
    } finally {
      // Committed or refused: until the line folds them, these read WAITING there and count as waiting
      // (which only holds back admissions with an issue); tokens admitted with their issue are not in the
      // line yet, so they count as active until it has them.
      if (fromLine) for (const e of events) this.activatingFromLine.delete(e.data.tokenId);
    }
    try {
      await this.catchUp(appended.position);
      return appended;
    } finally {
      settled();
    }
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
