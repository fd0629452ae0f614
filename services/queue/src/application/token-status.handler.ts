import { IQueryHandler, QueryHandler } from '@nestjs/cqrs';
import { TokenStatusReply } from '@concert/contracts';
import { estimateWaitMinutes } from '../domain/admission';
import { QueueRuntime } from './queue.runtime';

export class TokenStatusQuery {
  constructor(
    readonly tokenId: string,
    readonly poll: boolean,
  ) {}
}

@QueryHandler(TokenStatusQuery)
export class TokenStatusHandler implements IQueryHandler<TokenStatusQuery, TokenStatusReply> {
  constructor(private readonly runtime: QueueRuntime) {}

  async execute({ tokenId, poll }: TokenStatusQuery): Promise<TokenStatusReply> {
    const { line } = this.runtime;
    const record = line.get(tokenId);
    if (!record) return { known: false, queuePosition: 0, estimatedWaitTime: 0, status: 'EXPIRED' };
    const now = this.runtime.clock.now().getTime();
    const status = line.effectiveStatus(record, now, this.runtime.idleTimeoutMs);
    if (poll && status === 'WAITING') line.touch(record, now);
    const queuePosition = status === 'WAITING' ? line.rank(record) : 0;
    return {
      known: true,
      userId: record.userId,
      queuePosition,
      estimatedWaitTime: estimateWaitMinutes(queuePosition, line.admissionsPerMinute(now)),
      status,
    };
  }
}
