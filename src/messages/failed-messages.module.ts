import { Module } from '@nestjs/common';
import { CaseQueryModule } from '../cases/case-query.module';
import { DeliveryModule } from '../delivery/delivery.module';
import { FailedMessagesService } from './failed-messages.service';
import { MessagesController } from './messages.controller';
import { MessagesModule } from './messages.module';

/** The staff API over messages (dead letters and retry). Apart from MessagesModule, which delivery builds on. */
@Module({
  imports: [MessagesModule, CaseQueryModule, DeliveryModule],
  controllers: [MessagesController],
  providers: [FailedMessagesService],
})
export class FailedMessagesModule {}
