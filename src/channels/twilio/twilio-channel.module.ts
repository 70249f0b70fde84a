import { Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { Env } from '../../config/env';
import { CasesModule } from '../../cases/cases.module';
import { DeliveryModule } from '../../delivery/delivery.module';
import { MessagesModule } from '../../messages/messages.module';
import { InboxesModule } from '../../inboxes/inboxes.module';
import { IntakeModule } from '../../intake/intake.module';
import { ChannelMediaModule } from '../media/channel-media.module';
import { isWhatsappCloudInbox, WhatsappCloudAdapter } from '../meta/whatsapp-cloud.adapter';
import { TwilioAdapterOptions, TwilioSmsAdapter, TwilioWhatsappAdapter } from './twilio.adapter';
import { TwilioController, TwilioMediaController } from './twilio.controller';
import { TwilioRepository } from './twilio.repository';
import { TWILIO_SERVICE_OPTIONS, TwilioService } from './twilio.service';

const adapterOptions = (env: Env, repository: TwilioRepository, modules?: ModuleRef): TwilioAdapterOptions => ({
  publicBaseUrl: env.PUBLIC_BASE_URL,
  apiBaseUrl: env.TWILIO_API_BASE_URL,
  timeoutMs: env.DELIVERY_TIMEOUT_MS,
  recipientState: (channel, address) => repository.recipientState(channel, address),
  otherWhatsappProvider: (inbox) => (modules && isWhatsappCloudInbox(inbox) ? whatsappCloud(modules) : undefined),
});

/** The Meta module's WhatsApp Cloud adapter, when that module is installed. */
function whatsappCloud(modules: ModuleRef): WhatsappCloudAdapter | undefined {
  try {
    return modules.get(WhatsappCloudAdapter, { strict: false });
  } catch {
    return undefined;
  }
}

/** SMS/MMS and WhatsApp through Twilio: one provider, two channels, one webhook pair. */
@Module({
  imports: [InboxesModule, IntakeModule, DeliveryModule, MessagesModule, CasesModule, ChannelMediaModule],
  controllers: [TwilioController, TwilioMediaController],
  providers: [
    TwilioRepository,
    { provide: TWILIO_SERVICE_OPTIONS, inject: [Env], useFactory: (env: Env) => ({ apiBaseUrl: env.TWILIO_API_BASE_URL, timeoutMs: env.DELIVERY_TIMEOUT_MS }) },
    TwilioService,
    { provide: TwilioSmsAdapter, inject: [Env, TwilioRepository], useFactory: (env: Env, r: TwilioRepository) => new TwilioSmsAdapter(adapterOptions(env, r)) },
    {
      provide: TwilioWhatsappAdapter,
      inject: [Env, TwilioRepository, ModuleRef],
      useFactory: (env: Env, r: TwilioRepository, modules: ModuleRef) => new TwilioWhatsappAdapter(adapterOptions(env, r, modules)),
    },
  ],
})
export class TwilioChannelModule {}
