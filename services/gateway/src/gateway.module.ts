import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { AdminController } from './controllers/admin.controller';
import { ConcertsController } from './controllers/concerts.controller';
import { HealthController } from './controllers/health.controller';
import { PaymentsController } from './controllers/payments.controller';
import { QueueController } from './controllers/queue.controller';
import { ReservationsController } from './controllers/reservations.controller';
import { WalletController } from './controllers/wallet.controller';
import { AllExceptionsFilter } from './http/all-exceptions.filter';
import { TokenGuard } from './http/token.guard';

/** The HTTP API: validates input, checks tokens, turns requests into bus messages and errors into the seed's shape. */
@Module({
  controllers: [
    QueueController,
    ConcertsController,
    ReservationsController,
    WalletController,
    PaymentsController,
    AdminController,
    HealthController,
  ],
  providers: [TokenGuard, { provide: APP_FILTER, useClass: AllExceptionsFilter }],
})
export class GatewayModule {}
