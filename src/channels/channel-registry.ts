import { Injectable, OnModuleInit, SetMetadata } from '@nestjs/common';
import { DiscoveryService, Reflector } from '@nestjs/core';
import { Channel } from '../common/enum';
import { HubError } from '../common/errors';
import { ChannelAdapter } from './channel-adapter';

const CHANNEL_ADAPTER = 'hub:channel-adapter';

/** Marks a provider class as the adapter of its channel; the registry finds it at start-up. */
export const ChannelAdapterProvider = () => SetMetadata(CHANNEL_ADAPTER, true);

/** Finds every adapter at start-up, so adding a channel needs no edit here. */
@Injectable()
export class ChannelRegistry implements OnModuleInit {
  private readonly adapters = new Map<Channel, ChannelAdapter>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly reflector: Reflector,
  ) {}

  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const ctor = (wrapper.instance as object | undefined)?.constructor;
      if (!ctor || !this.reflector.get(CHANNEL_ADAPTER, ctor)) continue;
      const adapter = wrapper.instance as ChannelAdapter;
      if (this.adapters.has(adapter.channel)) throw new Error(`Two adapters for channel ${adapter.channel}`);
      this.adapters.set(adapter.channel, adapter);
    }
  }

  get(channel: Channel): ChannelAdapter {
    const adapter = this.adapters.get(channel);
    if (!adapter) throw new HubError('Unavailable', `No adapter is installed for the ${channel} channel`);
    return adapter;
  }

  channels(): Channel[] {
    return [...this.adapters.keys()];
  }
}
