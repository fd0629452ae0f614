import { Body, Controller, Get, Headers, HttpCode, Inject, Param, Post, UseGuards } from '@nestjs/common';
import { assertChargeAmount, BalanceReply, ChargeReply, WalletPatterns } from '@concert/contracts';
import { MESSAGE_BUS, MessageBus } from '@concert/bus';
import { AppConfig, CONFIG } from '@concert/platform';
import { idempotencyKey, objectBody, userIdValue } from '../http/input';
import { RequireToken, TokenGuard } from '../http/token.guard';

@Controller('users/:userId')
@UseGuards(TokenGuard)
@RequireToken('owner')
export class WalletController {
  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    @Inject(CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('balance')
  balance(@Param('userId') userId: string): Promise<BalanceReply> {
    return this.bus.request(WalletPatterns.balance, { userId: userIdValue(userId) });
  }

  @Post('charge')
  @HttpCode(200)
  charge(@Param('userId') userId: string, @Body() raw: unknown, @Headers('idempotency-key') key?: string): Promise<ChargeReply> {
    const { amount } = objectBody(raw);
    assertChargeAmount(amount, this.config.maxChargeAmount);
    return this.bus.request(WalletPatterns.charge, { userId: userIdValue(userId), amount, idempotencyKey: idempotencyKey(key) });
  }
}
