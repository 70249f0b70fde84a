import { Module } from '@nestjs/common';
import { MessageRepository } from './message.repository';
import { MessagesService } from './messages.service';

@Module({
  providers: [MessageRepository, MessagesService],
  exports: [MessagesService],
})
export class MessagesModule {}
