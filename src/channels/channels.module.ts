import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ApiChannelModule } from './api/api-channel.module';
import { ChannelRegistry } from './channel-registry';
import { EmailChannelModule } from './email/email-channel.module';
import { MetaChannelModule } from './meta/meta-channel.module';
import { SlackChannelModule } from './slack/slack-channel.module';
import { TwilioChannelModule } from './twilio/twilio-channel.module';
import { WebchatChannelModule } from './webchat/webchat-channel.module';

/** Every installed channel. Adding a channel: a folder in src/channels/ and its module in this list. */
export const CHANNEL_MODULES = [ApiChannelModule, TwilioChannelModule, MetaChannelModule, EmailChannelModule, SlackChannelModule, WebchatChannelModule];

@Global()
@Module({
  imports: [DiscoveryModule, ...CHANNEL_MODULES],
  providers: [ChannelRegistry],
  exports: [ChannelRegistry],
})
export class ChannelsModule {}
