import { Channel } from '../../common/enum';
import { HubError } from '../../common/errors';
import {
  ChannelAdapter,
  DeliveryStatusUpdate,
  InboundMessage,
  InboxConfig,
  OutboundMessage,
  PermanentDeliveryError,
  RawRequest,
} from '../channel-adapter';
import { ChannelAdapterProvider } from '../channel-registry';
import { GraphClient, GraphError, GraphRequestError, toDeliveryError } from './graph-client';
import { isValidMetaSignature, META_SIGNATURE_HEADER } from './meta-signature';
import { MetaItem, MetaParseOptions, OUR_METADATA_PREFIX, parseMetaWebhook } from './meta-webhook';

export interface MetaAdapterOptions {
  /** The Meta app's secret; unset means every webhook POST is refused. */
  appSecret?: string;
  graph: GraphClient;
}

/** Messenger allows 2,000 characters a message; longer replies go as several messages. */
const TEXT_LIMIT = 2000;

/** Graph error subcodes for "outside the allowed window" (Messenger, Instagram). */
const WINDOW_SUBCODES = new Set([2018278, 2534022]);

/** Verification shared by every Meta adapter: the app secret signs the raw bytes of each webhook POST. */
export function verifyMetaRequest(req: RawRequest, appSecret: string | undefined): void {
  if (!appSecret) throw new HubError('SignatureInvalid', 'Meta webhooks are not configured here (META_APP_SECRET is unset)');
  if (!isValidMetaSignature(appSecret, req.rawBody, req.headers[META_SIGNATURE_HEADER])) {
    throw new HubError('SignatureInvalid', 'X-Hub-Signature-256 does not match the body');
  }
}

export function metaItems(req: RawRequest, graph: GraphClient): MetaItem[] {
  const options: MetaParseOptions = { mediaUrl: (id) => graph.url(id) };
  return parseMetaWebhook(req.body, options);
}

/** The residents' messages of a webhook that belong to one channel's inbox (every Meta adapter's parseInbound). */
export function metaMessagesFor(req: RawRequest, graph: GraphClient, channel: Channel, inbox: InboxConfig): InboundMessage[] {
  return metaItems(req, graph)
    .filter((item): item is Extract<MetaItem, { kind: 'message' }> => item.kind === 'message' && item.channel === channel && item.address === inbox.address)
    .map((item) => ({ ...item.message, inboxId: inbox.id }));
}

/** The delivery statuses of a webhook that belong to one channel's inbox (every Meta adapter's parseStatus). */
export function metaStatusesFor(req: RawRequest, graph: GraphClient, channel: Channel, inbox: InboxConfig): DeliveryStatusUpdate[] {
  return metaItems(req, graph)
    .filter((item): item is Extract<MetaItem, { kind: 'status' }> => item.kind === 'status' && item.channel === channel && item.address === inbox.address)
    .map((item) => item.update);
}

/**
 * What every Meta adapter does alike: one app secret signs every webhook, and one parser reads the entries of all
 * three products; only sending differs.
 */
export abstract class MetaWebhookAdapter implements ChannelAdapter {
  abstract readonly channel: Channel;

  constructor(protected readonly options: MetaAdapterOptions) {}

  verify(req: RawRequest): void {
    verifyMetaRequest(req, this.options.appSecret);
  }

  parseInbound(req: RawRequest, inbox: InboxConfig): InboundMessage[] {
    return metaMessagesFor(req, this.options.graph, this.channel, inbox);
  }

  parseStatus(req: RawRequest, inbox: InboxConfig): DeliveryStatusUpdate[] {
    return metaStatusesFor(req, this.options.graph, this.channel, inbox);
  }

  abstract send(msg: OutboundMessage, inbox: InboxConfig): Promise<{ providerMessageId: string }>;
}

/**
 * Messenger and Instagram: one Page (or Instagram account) is one inbox, its id the inbox address; the inbox's
 * settings hold `pageAccessToken`, optionally `pageId` (the id to send from, default the address) and
 * `humanAgentTag: true` where the app is approved to answer with the HUMAN_AGENT tag for up to 7 days.
 */
abstract class MetaPageAdapter extends MetaWebhookAdapter {

  async send(msg: OutboundMessage, inbox: InboxConfig): Promise<{ providerMessageId: string }> {
    const token = inbox.settings.pageAccessToken;
    if (typeof token !== 'string' || !token) throw new PermanentDeliveryError(`Inbox "${inbox.name}" has no page access token (settings.pageAccessToken)`);
    const pageId = typeof inbox.settings.pageId === 'string' ? inbox.settings.pageId : inbox.address;
    if (!pageId) throw new PermanentDeliveryError(`Inbox "${inbox.name}" has no page id`);
    const parts: Record<string, unknown>[] = splitText(msg.text, TEXT_LIMIT).map((text) => ({ text }));
    for (const a of msg.attachments) if (a.url) parts.push({ attachment: { type: attachmentType(a.contentType), payload: { url: a.url, is_reusable: false } } });
    if (!parts.length) throw new PermanentDeliveryError('The reply is empty');
    // Messenger echoes message.metadata back: it tells our own replies from the page's other messages (metaEcho).
    const tagged = this.channel === Channel.Messenger ? parts.map((p) => ({ ...p, metadata: `${OUR_METADATA_PREFIX}${msg.messageId}` })) : parts;
    let id = '';
    for (const message of tagged) id = await this.sendOne(pageId, token, msg.to.address, message, inbox.settings.humanAgentTag === true);
    return { providerMessageId: id };
  }

  /** Standard 24-hour reply first; past it, the HUMAN_AGENT tag where the inbox may use it (Meta enforces both windows). */
  private async sendOne(pageId: string, token: string, recipient: string, message: Record<string, unknown>, humanAgent: boolean): Promise<string> {
    const post = (extra: Record<string, unknown>) =>
      this.options.graph.post<{ message_id?: string }>(`${pageId}/messages`, token, { recipient: { id: recipient }, ...extra, message });
    try {
      try {
        return messageId(await post({ messaging_type: 'RESPONSE' }));
      } catch (e) {
        if (!humanAgent || !isWindowError(e)) throw e;
        return messageId(await post({ messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' }), true);
      }
    } catch (e) {
      throw toDeliveryError(e, (error) => explain(error, humanAgent, this.channel));
    }
  }
}

function messageId(res: { message_id?: string }, tagged = false): string {
  if (typeof res.message_id !== 'string' || !res.message_id) throw new PermanentDeliveryError(`Graph API accepted the message${tagged ? ' (HUMAN_AGENT)' : ''} but gave no message_id`);
  return res.message_id;
}

function isWindowError(e: unknown): boolean {
  return e instanceof GraphRequestError && e.error.code === 10 && (WINDOW_SUBCODES.has(e.error.error_subcode ?? 0) || /window/i.test(e.error.message ?? ''));
}

function explain(error: GraphError, humanAgent: boolean, channel: Channel): string | undefined {
  const name = channel === Channel.Instagram ? 'Instagram' : 'Messenger';
  if (error.code === 10 && (WINDOW_SUBCODES.has(error.error_subcode ?? 0) || /window/i.test(error.message ?? ''))) {
    return humanAgent
      ? `${name} refused the reply: more than 7 days since the resident's last message (the HUMAN_AGENT limit); ask them to write again`
      : `${name} refused the reply: more than 24 hours since the resident's last message, and this inbox may not use the HUMAN_AGENT tag`;
  }
  if (error.code === 190) return `${name} refused the page access token (invalid or expired): reconnect the page`;
  if (error.code === 200 || error.code === 230) return `${name} refused the reply: the app lacks the messaging permission for this page (${error.message ?? ''})`;
  if (error.code === 551 || error.error_subcode === 1545041) return `${name}: the resident cannot be reached right now (blocked the page or left)`;
  if (error.code === 100 && error.error_subcode === 2018001) return `${name}: no such recipient for this page`;
  return undefined;
}

function attachmentType(contentType: string): string {
  const top = contentType.split('/')[0];
  return ['image', 'video', 'audio'].includes(top) ? top : 'file';
}

/** Splits on paragraph, line or word boundaries where possible, never mid-character. */
export function splitText(text: string, limit: number): string[] {
  const parts: string[] = [];
  let rest = text.trim();
  while (rest.length > limit) {
    const window = rest.slice(0, limit);
    const cut = Math.max(window.lastIndexOf('\n\n'), window.lastIndexOf('\n'), window.lastIndexOf(' '));
    const at = cut > limit / 2 ? cut : limit;
    parts.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).trimStart();
  }
  if (rest) parts.push(rest);
  return parts;
}

@ChannelAdapterProvider()
export class MessengerAdapter extends MetaPageAdapter {
  readonly channel = Channel.Messenger;
}

@ChannelAdapterProvider()
export class InstagramAdapter extends MetaPageAdapter {
  readonly channel = Channel.Instagram;
}
