import { Global, Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { ApiChannelModule } from './api/api-channel.module';
import { ChannelRegistry } from './channel-registry';

/** Every installed channel. Adding a channel: a folder in src/channels/ and its module in this list. */
export const CHANNEL_MODULES = [ApiChannelModule];

@Global()
@Module({
  imports: [DiscoveryModule, ...CHANNEL_MODULES],
  providers: [ChannelRegistry],
  exports: [ChannelRegistry],
})
export class ChannelsModule {}
