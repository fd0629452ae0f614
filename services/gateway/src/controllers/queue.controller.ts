import { Body, Controller, Get, Headers, HttpCode, Inject, Post } from '@nestjs/common';
import { DomainError, ErrorCode, IssueTokenReply, QueuePatterns, TokenStatusReply } from '@concert/contracts';
import { MESSAGE_BUS, MessageBus } from '@concert/bus';
import { TokenGuard } from '../http/token.guard';
import { userIdValue } from '../http/input';

@Controller('queue')
export class QueueController {
  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly tokens: TokenGuard,
  ) {}

  @Post('token')
  @HttpCode(200)
  async issue(@Body() body: unknown) {
    const userId = userIdValue(body !== null && typeof body === 'object' ? (body as Record<string, unknown>).userId : undefined);
    const r = await this.bus.request<IssueTokenReply>(QueuePatterns.issueToken, { userId });
    return { token: r.token, queuePosition: r.queuePosition, estimatedWaitTime: r.estimatedWaitTime, status: r.status };
  }

  @Get('status')
  async status(@Headers('authorization') authorization?: string) {
    const claims = this.tokens.verify(authorization);
    const r = await this.bus.request<TokenStatusReply>(QueuePatterns.tokenStatus, { tokenId: claims.jti, poll: true });
    if (!r.known || r.userId !== claims.sub) throw new DomainError(ErrorCode.InvalidToken);
    return { queuePosition: r.queuePosition, estimatedWaitTime: r.estimatedWaitTime, status: r.status };
  }
}
