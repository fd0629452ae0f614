import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { CommandBus, CqrsModule, QueryBus } from '@nestjs/cqrs';
import { IssueTokenRequest, QueuePatterns, ReleaseTokenRequest, TokenStatusRequest } from '@concert/contracts';
import { MESSAGE_BUS, MessageBus } from '@concert/bus';
import { IssueTokenCommand, IssueTokenHandler } from './application/issue-token.handler';
import { QueueRuntime } from './application/queue.runtime';
import { ReleaseTokenCommand, ReleaseTokenHandler } from './application/release-token.handler';
import { TokenStatusHandler, TokenStatusQuery } from './application/token-status.handler';

/** The waiting room. Reached only through the bus patterns in `QueuePatterns`. */
@Module({
  imports: [CqrsModule],
  providers: [QueueRuntime, IssueTokenHandler, TokenStatusHandler, ReleaseTokenHandler],
})
export class QueueModule implements OnModuleInit {
  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  onModuleInit(): void {
    this.bus.handle(QueuePatterns.issueToken, (p: IssueTokenRequest) => this.commands.execute(new IssueTokenCommand(p.userId)));
    this.bus.handle(QueuePatterns.tokenStatus, (p: TokenStatusRequest) =>
      this.queries.execute(new TokenStatusQuery(p.tokenId, p.poll)),
    );
    this.bus.handle(QueuePatterns.releaseToken, (p: ReleaseTokenRequest) =>
      this.commands.execute(new ReleaseTokenCommand(p.userId, p.reason, p.after)),
    );
  }
}
