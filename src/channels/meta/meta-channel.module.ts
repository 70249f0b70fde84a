import { Module } from '@nestjs/common';
import { Env } from '../../config/env';
import { DeliveryModule } from '../../delivery/delivery.module';
import { InboxesModule } from '../../inboxes/inboxes.module';
import { IntakeModule } from '../../intake/intake.module';
import { MessagesModule } from '../../messages/messages.module';
import { ChannelMediaModule } from '../media/channel-media.module';
import { GraphClient } from './graph-client';
import { InstagramAdapter, MessengerAdapter, MetaAdapterOptions } from './meta-page.adapter';
import { MetaWebhookService } from './meta-webhook.service';
import { MetaController } from './meta.controller';
import { MetaRepository } from './meta.repository';
import { WhatsappCloudAdapter } from './whatsapp-cloud.adapter';

const OPTIONS = 'META_ADAPTER_OPTIONS';

/**
 * Meta: Messenger and Instagram adapters (registered for their channels), the WhatsApp Cloud adapter (exported for
 * the registered `whatsapp` adapter to delegate to, see whatsapp-cloud.adapter.ts) and the one webhook endpoint.
 */
@Module({
  imports: [InboxesModule, IntakeModule, DeliveryModule, MessagesModule, ChannelMediaModule],
  controllers: [MetaController],
  providers: [
    {
      provide: GraphClient,
      inject: [Env],
      useFactory: (env: Env) => new GraphClient({ baseUrl: env.META_GRAPH_API_URL, version: env.META_GRAPH_API_VERSION, timeoutMs: env.DELIVERY_TIMEOUT_MS }),
    },
    { provide: OPTIONS, inject: [Env, GraphClient], useFactory: (env: Env, graph: GraphClient): MetaAdapterOptions => ({ appSecret: env.META_APP_SECRET, graph }) },
    { provide: MessengerAdapter, inject: [OPTIONS], useFactory: (o: MetaAdapterOptions) => new MessengerAdapter(o) },
    { provide: InstagramAdapter, inject: [OPTIONS], useFactory: (o: MetaAdapterOptions) => new InstagramAdapter(o) },
    { provide: WhatsappCloudAdapter, inject: [OPTIONS], useFactory: (o: MetaAdapterOptions) => new WhatsappCloudAdapter(o) },
    MetaWebhookService,
    MetaRepository,
  ],
  exports: [WhatsappCloudAdapter],
})
export class MetaChannelModule {}
