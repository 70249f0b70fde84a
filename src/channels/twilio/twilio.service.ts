import { Inject, Injectable } from '@nestjs/common';
import { canSeeCase } from '../../auth/access';
import type { Actor } from '../../auth/actor';
import { CasesService } from '../../cases/cases.service';
import { Channel } from '../../common/enum';
import { HubError } from '../../common/errors';
import { DeliveryService } from '../../delivery/delivery.service';
import { InboxesService } from '../../inboxes/inboxes.service';
import { IntakeService } from '../../intake/intake.service';
import { MessagesService } from '../../messages/messages.service';
import { InboxConfig, RawRequest } from '../channel-adapter';
import { ChannelMediaService } from '../media/channel-media.service';
import { twilioSettings, TwilioSmsAdapter, TwilioWhatsappAdapter } from './twilio.adapter';
import { FetchedMedia, fetchTwilioMedia } from './twilio-media';
import { TwilioRepository } from './twilio.repository';
import { bareAddress, channelOf, optKeyword, param, requestParams, TwilioParams } from './twilio-params';

export const TWILIO_SERVICE_OPTIONS = 'TwilioServiceOptions';

/**
 * Twilio webhooks end to end: find the inbox, let the adapter verify and parse, store through intake (committed
 * before Twilio gets its answer), then keep the resident's opt-out and WhatsApp window up to date.
 */
@Injectable()
export class TwilioService {
  constructor(
    private readonly sms: TwilioSmsAdapter,
    private readonly whatsapp: TwilioWhatsappAdapter,
    private readonly repository: TwilioRepository,
    private readonly inboxes: InboxesService,
    private readonly intake: IntakeService,
    private readonly delivery: DeliveryService,
    private readonly messages: MessagesService,
    private readonly cases: CasesService,
    private readonly channelMedia: ChannelMediaService,
    @Inject(TWILIO_SERVICE_OPTIONS) private readonly options: { apiBaseUrl?: string; timeoutMs: number },
  ) {}

  async receive(req: RawRequest): Promise<{ messageId: string; duplicate: boolean }> {
    const params = requestParams(req);
    const inbox = await this.inboxFor(params, 'To', 'From');
    const adapter = this.adapterFor(inbox.channel);
    adapter.verify(req, inbox);
    const [message] = adapter.parseInbound(req, inbox);
    // Before intake, so the console's push after the commit already shows the opt-out (Twilio itself has blocked the
    // number whatever becomes of our copy); again after it for a resident whose first message this is.
    const keyword = optKeyword(params);
    const known = await this.repository.recordInbound(message.channel, message.sender.address, keyword);
    const result = await this.intake.receive(message, inbox);
    if (!known) await this.repository.recordInbound(message.channel, message.sender.address, keyword);
    // The media is downloaded by a job, after Twilio has its answer (a repeat delivery re-queues what is missing).
    await this.channelMedia.fetchLater(result.messageId, message.attachments);
    return { messageId: result.messageId, duplicate: result.duplicate };
  }

  /** A status callback: our number is From here. Repeats and late, backward statuses change nothing. */
  async status(req: RawRequest): Promise<number> {
    const params = requestParams(req);
    const inbox = await this.inboxFor(params, 'From', 'To');
    const adapter = this.adapterFor(inbox.channel);
    adapter.verify(req, inbox);
    let applied = 0;
    for (const update of adapter.parseStatus(req)) {
      if (await this.delivery.applyProviderStatus(inbox.channel, update.providerMessageId, update.status, update.reason, inbox.id)) applied++;
    }
    return applied;
  }

  /**
   * One media item of a resident's MMS or WhatsApp message, for staff who may see its case: fetched from Twilio with
   * the inbox's credentials when asked (Twilio keeps media until it is deleted), never from another host.
   */
  async media(actor: Actor, messageId: string, index: number): Promise<FetchedMedia> {
    const message = UUID.test(messageId) ? await this.messages.get(messageId).catch(() => undefined) : undefined;
    const kase = message && (await this.cases.get(message.case_id));
    if (!message || !kase || !canSeeCase(actor, kase) || (message.channel !== Channel.Sms && message.channel !== Channel.Whatsapp)) throw HubError.notFound('Message', messageId);
    const attachment = (message.attachments ?? [])[index];
    // Once stored, the attachment's url is the hub's own; the provider's is kept as sourceUrl.
    const source = attachment?.sourceUrl ?? attachment?.url;
    if (!source) throw HubError.notFound(`Media ${index} of message`, messageId);
    const { accountSid, authToken } = twilioSettings(await this.inboxes.get(kase.inbox_id));
    return fetchTwilioMedia(source, { accountSid, authToken, ...this.options });
  }

  /** The inbox by MessagingServiceSid if given, else by our address; the channel follows the resident's address. */
  private async inboxFor(params: TwilioParams, ours: 'To' | 'From', theirs: 'To' | 'From'): Promise<InboxConfig> {
    const channel = channelOf(param(params, theirs) ?? param(params, ours));
    const serviceSid = param(params, 'MessagingServiceSid')?.trim();
    if (serviceSid) {
      const id = await this.repository.findInboxIdByMessagingServiceSid(channel, serviceSid);
      if (id) return this.inboxes.get(id);
    }
    const address = param(params, ours)?.trim();
    if (!address) throw HubError.validation(`${ours}: is required`, { field: ours });
    const inbox = (await this.inboxes.findByAddress(channel, address)) ?? (await this.inboxes.findByAddress(channel, bareAddress(address)));
    if (!inbox) throw new HubError('NotFound', `No ${channel} inbox has the address ${address}${serviceSid ? ` or the Messaging Service ${serviceSid}` : ''}`);
    return inbox;
  }

  private adapterFor(channel: Channel): TwilioSmsAdapter | TwilioWhatsappAdapter {
    if (channel === Channel.Sms) return this.sms;
    if (channel === Channel.Whatsapp) return this.whatsapp;
    throw new HubError('Unavailable', `Inbox channel ${channel} is not served by Twilio`);
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
