import { DynamicModule, Module } from '@nestjs/common';
import { BookingModule } from '@concert/booking';
import { QueueModule } from '@concert/queue';
import { WalletModule } from '@concert/wallet';
import { GatewayModule } from '@concert/gateway';
import { EmbeddedInfrastructureModule, EmbeddedOptions } from './infrastructure.module';

/** All four services in one process, talking through the in-process bus. */
@Module({})
export class EmbeddedAppModule {
  static forRoot(options: EmbeddedOptions): DynamicModule {
    return {
      module: EmbeddedAppModule,
      imports: [EmbeddedInfrastructureModule.forRoot(options), WalletModule, QueueModule, BookingModule, GatewayModule],
    };
  }
}
