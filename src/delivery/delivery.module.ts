import { Module } from '@nestjs/common';
import { CasesModule } from '../cases/cases.module';
import { InboxesModule } from '../inboxes/inboxes.module';
import { MessagesModule } from '../messages/messages.module';
import { ResidentsModule } from '../residents/residents.module';
import { DeliveryRepository } from './delivery.repository';
import { DeliveryService } from './delivery.service';

@Module({
  imports: [MessagesModule, CasesModule, InboxesModule, ResidentsModule],
  providers: [DeliveryRepository, DeliveryService],
  exports: [DeliveryService],
})
export class DeliveryModule {}
