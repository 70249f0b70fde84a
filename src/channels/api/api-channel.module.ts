import { Module } from '@nestjs/common';
import { Env } from '../../config/env';
import { DeliveryModule } from '../../delivery/delivery.module';
import { InboxesModule } from '../../inboxes/inboxes.module';
import { IntakeModule } from '../../intake/intake.module';
import { ApiChannelAdapter } from './api.adapter';
import { ApiChannelController } from './api.controller';

@Module({
  imports: [InboxesModule, IntakeModule, DeliveryModule],
  controllers: [ApiChannelController],
  providers: [{ provide: ApiChannelAdapter, inject: [Env], useFactory: (env: Env) => new ApiChannelAdapter({ timeoutMs: env.DELIVERY_TIMEOUT_MS }) }],
})
export class ApiChannelModule {}
