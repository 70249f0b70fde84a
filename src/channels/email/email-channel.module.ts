import { Module } from '@nestjs/common';
import { Env } from '../../config/env';
import { DeliveryModule } from '../../delivery/delivery.module';
import { InboxesModule } from '../../inboxes/inboxes.module';
import { IntakeModule } from '../../intake/intake.module';
import { MessagesModule } from '../../messages/messages.module';
import { ChannelMediaModule } from '../media/channel-media.module';
import { EmailChannelAdapter } from './email.adapter';
import { EmailChannelController } from './email.controller';
import { EmailIntake } from './email-intake';
import { EmailReceiver } from './email-receiver.service';
import { EmailThreadRepository } from './email-thread.repository';
import { ImapPoller } from './imap-poller.service';
import { SmtpListener } from './smtp-listener.service';

@Module({
  imports: [InboxesModule, IntakeModule, DeliveryModule, MessagesModule, ChannelMediaModule],
  controllers: [EmailChannelController],
  providers: [
    EmailThreadRepository,
    EmailReceiver,
    SmtpListener,
    ImapPoller,
    {
      provide: EmailIntake,
      inject: [Env],
      useFactory: (env: Env) => new EmailIntake({ maxAttachments: 50, maxAttachmentBytes: env.EMAIL_MAX_ATTACHMENT_BYTES }),
    },
    {
      provide: EmailChannelAdapter,
      inject: [EmailThreadRepository, Env],
      useFactory: (threads: EmailThreadRepository, env: Env) => new EmailChannelAdapter(threads, { relayUrl: env.EMAIL_SMTP_URL, timeoutMs: env.DELIVERY_TIMEOUT_MS }),
    },
  ],
  exports: [EmailReceiver, EmailIntake, ImapPoller],
})
export class EmailChannelModule {}
