import { Module } from '@nestjs/common';
import { CasesModule } from '../../cases/cases.module';
import { InboxesModule } from '../../inboxes/inboxes.module';
import { MessagesModule } from '../../messages/messages.module';
import { ChannelMediaService } from './channel-media.service';

/** Residents' media into the attachment store, for every channel (the store itself is the global AttachmentsModule). */
@Module({
  imports: [MessagesModule, CasesModule, InboxesModule],
  providers: [ChannelMediaService],
  exports: [ChannelMediaService],
})
export class ChannelMediaModule {}
