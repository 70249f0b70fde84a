import { Channel } from '../../common/enum';
import {
  ChannelAdapter,
  DeliveryStatusUpdate,
  InboundMessage,
  InboxConfig,
  OutboundMessage,
  PermanentDeliveryError,
  RawRequest,
} from '../channel-adapter';
import { GraphError, GraphRequestError, toDeliveryError } from './graph-client';
import { MetaAdapterOptions, metaMessagesFor, metaStatusesFor, splitText, verifyMetaRequest } from './meta-page.adapter';
import { waIdOf } from './meta-webhook';

/** WhatsApp allows 4,096 characters of text a message. */
const TEXT_LIMIT = 4096;

/** An inbox of channel `whatsapp` whose settings say `provider: "meta"` is served by the WhatsApp Cloud API. */
export function isWhatsappCloudInbox(inbox: Pick<InboxConfig, 'channel' | 'settings'>): boolean {
  return inbox.channel === Channel.Whatsapp && inbox.settings.provider === 'meta';
}

/**
 * WhatsApp Cloud API. The channel `whatsapp` has one registered adapter (Twilio's): this class is not registered
 * itself. The registered `whatsapp` adapter hands an inbox with `settings.provider === 'meta'` to it (see
 * isWhatsappCloudInbox). Inbound arrives on /channels/meta (MetaWebhookService) whichever adapter is registered.
 * Inbox: address = phone_number_id, settings.accessToken = a system-user token with whatsapp_business_messaging.
 */
export class WhatsappCloudAdapter implements ChannelAdapter {
  readonly channel = Channel.Whatsapp;

  constructor(private readonly options: MetaAdapterOptions) {}

  verify(req: RawRequest): void {
    verifyMetaRequest(req, this.options.appSecret);
  }

  parseInbound(req: RawRequest, inbox: InboxConfig): InboundMessage[] {
    return metaMessagesFor(req, this.options.graph, Channel.Whatsapp, inbox);
  }

  parseStatus(req: RawRequest, inbox: InboxConfig): DeliveryStatusUpdate[] {
    return metaStatusesFor(req, this.options.graph, Channel.Whatsapp, inbox);
  }

  async send(msg: OutboundMessage, inbox: InboxConfig): Promise<{ providerMessageId: string }> {
    const token = inbox.settings.accessToken;
    if (typeof token !== 'string' || !token) throw new PermanentDeliveryError(`Inbox "${inbox.name}" has no WhatsApp Cloud access token (settings.accessToken)`);
    if (!inbox.address) throw new PermanentDeliveryError(`Inbox "${inbox.name}" has no phone_number_id as its address`);
    const parts = splitText(msg.text, TEXT_LIMIT);
    if (!parts.length) throw new PermanentDeliveryError('The reply is empty');
    const template = templateOf(inbox);
    let id = '';
    for (const body of parts) {
      try {
        try {
          id = await this.post(inbox.address, token, msg.to.address, { type: 'text', text: { body, preview_url: false } });
        } catch (e) {
          // Past 24 hours only a template may go: the inbox's approved one, carrying the reply as its {{1}}.
          if (!template || !(e instanceof GraphRequestError) || e.error.code !== REENGAGEMENT) throw e;
          id = await this.post(inbox.address, token, msg.to.address, {
            type: 'template',
            template: { name: template.name, language: { code: template.language }, components: [{ type: 'body', parameters: [{ type: 'text', text: templateParam(body) }] }] },
          });
        }
      } catch (e) {
        throw toDeliveryError(e, (error) => explain(error, template !== undefined));
      }
    }
    return { providerMessageId: id };
  }

  private async post(phoneNumberId: string, token: string, to: string, content: Record<string, unknown>): Promise<string> {
    const res = await this.options.graph.post<{ messages?: Array<{ id?: string }> }>(`${phoneNumberId}/messages`, token, {
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: waIdOf(to),
      ...content,
    });
    const id = res.messages?.[0]?.id;
    if (!id) throw new PermanentDeliveryError('WhatsApp accepted the message but gave no id');
    return id;
  }
}

/** WhatsApp's "more than 24 hours since the customer last replied" refusal. */
const REENGAGEMENT = 131047;
/** A template body parameter may hold at most this many characters. */
const TEMPLATE_PARAM_LIMIT = 1024;

/** Template parameters may not hold new lines, tabs or more than four spaces in a row. */
function templateParam(text: string): string {
  return text.replace(/[\t\r\n]+/g, ' ').replace(/ {5,}/g, '    ').slice(0, TEMPLATE_PARAM_LIMIT);
}

/**
 * settings.replyTemplate = { name, language }: an approved template whose body has one parameter ({{1}}), e.g.
 * "The council has replied to your enquiry: {{1}}". Used only when WhatsApp refuses free text past 24 hours.
 */
function templateOf(inbox: InboxConfig): { name: string; language: string } | undefined {
  const t = inbox.settings.replyTemplate as { name?: unknown; language?: unknown } | undefined;
  if (!t || typeof t.name !== 'string' || !t.name) return undefined;
  return { name: t.name, language: typeof t.language === 'string' && t.language ? t.language : 'en_GB' };
}

function explain(error: GraphError, hasTemplate: boolean): string | undefined {
  switch (error.code) {
    case 131047:
      return hasTemplate
        ? 'WhatsApp refused the reply: more than 24 hours since the resident last wrote, and the template was refused too'
        : 'WhatsApp refused the reply: more than 24 hours since the resident last wrote, so only an approved template message may be sent (set settings.replyTemplate)';
    case 132001:
      return `WhatsApp refused the reply template: it does not exist in this language or is not approved (${error.error_data?.details ?? error.message ?? ''})`;
    case 132000:
      return 'WhatsApp refused the reply template: the number of parameters does not match (it needs exactly one, {{1}})';
    case 131026:
      return 'WhatsApp could not deliver to this number (not on WhatsApp, or an old app version)';
    case 131051:
      return 'WhatsApp does not support this message type';
    case 190:
      return 'WhatsApp refused the access token (invalid or expired): renew the system-user token';
    case 131030:
      return 'WhatsApp refused the recipient: not in the allowed list of this test number';
    default:
      return error.error_data?.details ? `WhatsApp error ${error.code}: ${error.message ?? ''} (${error.error_data.details})` : undefined;
  }
}
