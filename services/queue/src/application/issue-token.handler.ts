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
      const result = await execute(
        this.store,
        queueUserStream(userId),
        userTokenDecider,
        { type: 'IssueToken', userId, tokenId: randomUUID(), now, liveTokenOver },
        // A user the line has never seen has no stream yet: write it without reading it first.
        { now, likelyNew: current === undefined },
      );
      await this.runtime.catchUp(result.appended?.position);
      return result.appended !== null;
    });
    if (issued) await this.runtime.admit();
    const record = line.latestOf(userId);
    if (!record) throw new DomainError(ErrorCode.Internal, 'Token was not recorded');
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
