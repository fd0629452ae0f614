import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { TokenStatusReply } from '@concert/contracts';
import { QueueRuntime } from './queue.runtime';

export class TokenStatusQuery {
  constructor(
    readonly tokenId: string,
    readonly poll: boolean,
  ) {}
}

/** A status read: O(1) to find the token, O(log n) to rank it; a poll also keeps a WAITING token's place. */
@QueryHandler(TokenStatusQuery)
export class TokenStatusHandler implements IQueryHandler<TokenStatusQuery, TokenStatusReply> {
  constructor(private readonly runtime: QueueRuntime) {}

  async execute({ tokenId, poll }: TokenStatusQuery): Promise<TokenStatusReply> {
    const { line } = this.runtime;
    let record = line.get(tokenId);
    if (!record) {
      // Issued a moment ago by another instance, or never: only unknown tokens pay for the catch-up.
      await this.runtime.catchUp();
      record = line.get(tokenId);
    }
    if (!record) return { known: false, queuePosition: 0, estimatedWaitTime: 0, status: 'EXPIRED' };
    const now = this.runtime.clock.now().getTime();
    if (poll) {
      line.touch(record, now, this.runtime.idleTimeoutMs);
      if (line.seenUnrecorded(record, this.runtime.idleTimeoutMs)) this.runtime.recordSeen(record);
    }
    return {
      known: true,
      userId: record.userId,
      ...line.view(record, now, this.runtime.idleTimeoutMs),
      ...(record.expiryReason ? { endedBy: record.expiryReason } : {}),
    };
  }
}
