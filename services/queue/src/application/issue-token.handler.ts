import { Inject } from '@nestjs/common';
import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { randomUUID } from 'node:crypto';
import { DomainError, ErrorCode, IssueTokenReply, queueUserStream } from '@concert/contracts';
import { EVENT_STORE, EventStore, execute } from '@concert/event-store';
import { isUuid, JwtCodec } from '@concert/platform';
import { userTokenDecider } from '../domain/user-token.decider';
import { QueueRuntime } from './queue.runtime';

export class IssueTokenCommand {
  constructor(readonly userId: string) {}
}

@CommandHandler(IssueTokenCommand)
export class IssueTokenHandler implements ICommandHandler<IssueTokenCommand, IssueTokenReply> {
  private readonly jwt: JwtCodec;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly runtime: QueueRuntime,
  ) {
    this.jwt = new JwtCodec(runtime.config.jwtSecret);
  }

  async execute({ userId: rawUserId }: IssueTokenCommand): Promise<IssueTokenReply> {
    if (!isUuid(rawUserId)) throw new DomainError(ErrorCode.InvalidUserId);
    const userId = rawUserId.toLowerCase();
    const { line } = this.runtime;
    const issued = await this.runtime.userLocks.run(userId, async () => {
      // Another instance may have issued or ended this user's token a moment ago: look at the latest.
      await this.runtime.catchUp();
      const now = this.runtime.clock.now();
      const current = line.latestOf(userId);
      const liveTokenOver = current && line.overReason(current, now.getTime(), this.runtime.idleTimeoutMs);
      const tokenId = randomUUID();
      const issuing = execute(
        this.store,
        queueUserStream(userId),
        userTokenDecider,
        { type: 'IssueToken', userId, tokenId, now, liveTokenOver },
        // A user the line has never seen has no stream yet: write it without reading it first (the
        // append is queued before execute returns)...
        { now, likelyNew: current === undefined },
      );
      // ...and, where the room has space and nobody waits, the token's activation right behind it.
      const admitting = current === undefined ? this.runtime.admitWithIssue(tokenId, userId, now) : undefined;
      const waiting = admitting ? undefined : this.runtime.issuedWaiting();
      try {
        const result = await issuing;
        await this.runtime.catchUp(result.appended?.position);
        if (admitting) await admitting;
        return result.appended !== null;
      } finally {
        waiting?.folded();
      }
    });
    const record = line.latestOf(userId);
    if (!record) throw new DomainError(ErrorCode.Internal, 'Token was not recorded');
    // Not let in with its issue: the admission run fills the free slots in ticket order.
    if (issued && record.status === 'WAITING') await this.runtime.admit();
    const now = this.runtime.clock.now().getTime();
    line.touch(record, now, this.runtime.idleTimeoutMs);
    return {
      token: this.jwt.sign({ sub: userId, jti: record.tokenId, iat: Math.floor(record.issuedAt / 1000) }),
      tokenId: record.tokenId,
      userId,
      ...line.view(record, now, this.runtime.idleTimeoutMs),
    };
  }
}
