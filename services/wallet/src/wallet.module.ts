import { Inject, Module, OnModuleInit } from '@nestjs/common';
import { CommandBus, CqrsModule, QueryBus } from '@nestjs/cqrs';
import { ChargeRequest, DebitRequest, RefundRequest, WalletPatterns } from '@concert/contracts';
import { MESSAGE_BUS, MessageBus } from '@concert/bus';
import {
  ChargeWalletCommand,
  ChargeWalletHandler,
  DebitWalletCommand,
  DebitWalletHandler,
  GetBalanceHandler,
  GetBalanceQuery,
  RefundWalletCommand,
  RefundWalletHandler,
} from './application/wallet.handlers';
import { WalletRuntime } from './application/wallet.runtime';

/** Balances, charges, debits and refunds. Reached only through `WalletPatterns`. */
@Module({
  imports: [CqrsModule],
  providers: [WalletRuntime, GetBalanceHandler, ChargeWalletHandler, DebitWalletHandler, RefundWalletHandler],
})
export class WalletModule implements OnModuleInit {
  constructor(
    @Inject(MESSAGE_BUS) private readonly bus: MessageBus,
    private readonly commands: CommandBus,
    private readonly queries: QueryBus,
  ) {}

  onModuleInit(): void {
    this.bus.handle(WalletPatterns.balance, (p: { userId: string }) => this.queries.execute(new GetBalanceQuery(p.userId)));
    this.bus.handle(WalletPatterns.charge, (p: ChargeRequest) =>
      this.commands.execute(new ChargeWalletCommand(p.userId, p.amount, p.idempotencyKey)),
    );
    this.bus.handle(WalletPatterns.debit, (p: DebitRequest) =>
      this.commands.execute(new DebitWalletCommand(p.userId, p.paymentId, p.reservationId, p.amount, p.after, p.eventId)),
    );
    this.bus.handle(WalletPatterns.refund, (p: RefundRequest) =>
      this.commands.execute(new RefundWalletCommand(p.userId, p.paymentId)),
    );
  }
}
