import { Injectable } from '@nestjs/common';
import twilio from 'twilio';
import { Channel } from '../../common/enum';
import { HubError } from '../../common/errors';
import { ChannelAdapter, DeliveryStatusUpdate, InboundMessage, InboxConfig, OutboundMessage, PermanentDeliveryError, RawRequest } from '../channel-adapter';
import { ChannelAdapterProvider } from '../channel-registry';
import { createTwilioClient, toDeliveryError } from './twilio-client';
import { parseForm, toInboundMessage, toStatusUpdates, twilioAddress } from './twilio-params';

export const SIGNATURE_HEADER = 'x-twilio-signature';
export const STATUS_PATH = '/channels/sms/twilio/status';
/** WhatsApp's customer service window: free text only within 24 hours of the resident's last message. */
export const WHATSAPP_WINDOW_MS = 24 * 60 * 60 * 1000;

/** What the hub knows about a recipient that Twilio's rules depend on; answered by the Twilio module's repository. */
export interface RecipientState {
  optedOutAt: Date | null;
  lastInboundAt: Date | null;
}

/** The body of a messages.create call: free text, or an approved template. */
type MessageContent = { body: string } | { contentSid: string; contentVariables?: string };

/** An approved WhatsApp template of an inbox (settings.whatsappTemplates). {{reference}} stands for the case reference. */
export interface WhatsappTemplate {
  name: string;
  /** HX… */
  contentSid: string;
  /** The template as the resident will read it, with {{reference}} where the case reference goes. */
  text: string;
  /** ContentVariables, e.g. { "1": "{{reference}}" }. */
  variables?: Record<string, string>;
}

export function whatsappTemplates(inbox: InboxConfig): WhatsappTemplate[] {
  const list = inbox.settings.whatsappTemplates;
  if (!Array.isArray(list)) return [];
  return list.filter(
    (t): t is WhatsappTemplate => !!t && typeof t.name === 'string' && typeof t.contentSid === 'string' && /^HX[0-9a-f]{32}$/i.test(t.contentSid) && typeof t.text === 'string',
  );
}

function renderTemplate(text: string, msg: OutboundMessage): string {
  return text.replace(/\{\{\s*reference\s*\}\}/g, msg.caseReference).trim();
}

export interface TwilioAdapterOptions {
  /** PUBLIC_BASE_URL: where Twilio sends status callbacks. */
  publicBaseUrl?: string;
  /** A stand-in of Twilio's REST API; empty for Twilio itself. */
  apiBaseUrl?: string;
  timeoutMs: number;
  recipientState(channel: Channel, address: string): Promise<RecipientState | undefined>;
  /**
   * The `whatsapp` channel has one registered adapter (this module's). An inbox served by another WhatsApp provider
   * (the Meta Cloud API: settings.provider "meta") is handed to that provider's adapter, found here.
   */
  otherWhatsappProvider?(inbox: InboxConfig): ChannelAdapter | undefined;
}

/** The Twilio settings of an inbox (inbox.settings): the account's credentials and, if used, its Messaging Service. */
export interface TwilioInboxSettings {
  accountSid: string;
  authToken: string;
  messagingServiceSid?: string;
}

export function twilioSettings(inbox: InboxConfig): TwilioInboxSettings {
  const { accountSid, authToken, messagingServiceSid } = inbox.settings as Record<string, unknown>;
  if (typeof accountSid !== 'string' || typeof authToken !== 'string' || !accountSid || !authToken) {
    throw new HubError('Unavailable', `Inbox "${inbox.name}" has no Twilio accountSid and authToken in its settings`);
  }
  return { accountSid, authToken, messagingServiceSid: typeof messagingServiceSid === 'string' && messagingServiceSid ? messagingServiceSid : undefined };
}

/**
 * Twilio Programmable Messaging, one class for both channels it carries (SMS/MMS and WhatsApp; same webhook, same
 * API, addresses whatsapp:+44… on WhatsApp). Knows nothing of our database: the recipient's opt-out and last
 * inbound time come through options.recipientState.
 */
abstract class TwilioAdapter implements ChannelAdapter {
  abstract readonly channel: Channel.Sms | Channel.Whatsapp;

  constructor(protected readonly options: TwilioAdapterOptions) {}

  /** X-Twilio-Signature over the public URL (with and without the default port) and the form parameters. */
  verify(req: RawRequest, inbox: InboxConfig): void {
    const header = req.headers[SIGNATURE_HEADER];
    const signature = Array.isArray(header) ? header[0] : header;
    if (!signature) throw new HubError('SignatureInvalid', 'X-Twilio-Signature is missing');
    const { authToken } = twilioSettings(inbox);
    if (!twilio.validateRequest(authToken, signature, req.publicUrl, parseForm(req.rawBody))) {
      throw new HubError('SignatureInvalid', 'X-Twilio-Signature does not match this request (check PUBLIC_BASE_URL and the inbox auth token)');
    }
  }

  parseInbound(req: RawRequest, inbox: InboxConfig): InboundMessage[] {
    const message = toInboundMessage(parseForm(req.rawBody), inbox.id);
    if (message.channel !== this.channel) throw HubError.validation(`From: a ${message.channel} address cannot reach a ${this.channel} inbox`, { field: 'From' });
    return [message];
  }

  parseStatus(req: RawRequest): DeliveryStatusUpdate[] {
    return toStatusUpdates(parseForm(req.rawBody));
  }

  async send(msg: OutboundMessage, inbox: InboxConfig): Promise<{ providerMessageId: string }> {
    let settings: TwilioInboxSettings;
    try {
      settings = twilioSettings(inbox);
    } catch (e) {
      throw new PermanentDeliveryError((e as Error).message); // a retry cannot fix a missing configuration
    }
    const content = this.content(msg, inbox, await this.options.recipientState(this.channel, msg.to.address));
    const client = createTwilioClient(settings.accountSid, settings.authToken, this.options);
    const sender = settings.messagingServiceSid ? { messagingServiceSid: settings.messagingServiceSid } : { from: this.fromAddress(inbox) };
    const statusCallback = this.options.publicBaseUrl ? `${this.options.publicBaseUrl.replace(/\/$/, '')}${STATUS_PATH}` : undefined;
    try {
      const sent = await client.messages.create({ to: twilioAddress(this.channel, msg.to.address), ...content, ...sender, ...(statusCallback ? { statusCallback } : {}) });
      if (!sent.sid) throw new PermanentDeliveryError('Twilio accepted the message without giving its id');
      return { providerMessageId: sent.sid };
    } catch (e) {
      throw e instanceof PermanentDeliveryError ? e : toDeliveryError(e);
    }
  }

  /** What to send: the text, or (WhatsApp) a template. Refuses what Twilio would refuse, with a clearer reason. */
  protected content(msg: OutboundMessage, _inbox: InboxConfig, state: RecipientState | undefined): MessageContent {
    if (state?.optedOutAt) {
      throw new PermanentDeliveryError(`The resident opted out on ${state.optedOutAt.toISOString()} (they sent STOP): no messages can be sent until they send START`);
    }
    return { body: msg.text };
  }

  private fromAddress(inbox: InboxConfig): string {
    if (!inbox.address) throw new PermanentDeliveryError(`Inbox "${inbox.name}" has neither an address (our number) nor a messagingServiceSid to send from`);
    return twilioAddress(this.channel, inbox.address);
  }
}

@Injectable()
@ChannelAdapterProvider()
export class TwilioSmsAdapter extends TwilioAdapter {
  readonly channel = Channel.Sms as const;
}

@Injectable()
@ChannelAdapterProvider()
export class TwilioWhatsappAdapter extends TwilioAdapter {
  readonly channel = Channel.Whatsapp as const;

  override send(msg: OutboundMessage, inbox: InboxConfig): Promise<{ providerMessageId: string }> {
    const other = this.options.otherWhatsappProvider?.(inbox);
    return other ? other.send(msg, inbox) : super.send(msg, inbox);
  }

  /**
   * Outside the 24-hour window WhatsApp takes only approved templates. A reply whose text is exactly one of the
   * inbox's templates (settings.whatsappTemplates, offered to agents as that text) goes as its ContentSid and
   * variables; any other text is refused with the reason.
   */
  protected override content(msg: OutboundMessage, inbox: InboxConfig, state: RecipientState | undefined): MessageContent {
    const free = super.content(msg, inbox, state);
    const last = state?.lastInboundAt;
    if (last && Date.now() - last.getTime() <= WHATSAPP_WINDOW_MS) return free;
    const templates = whatsappTemplates(inbox);
    const template = templates.find((t) => renderTemplate(t.text, msg) === msg.text.trim());
    if (template) {
      const variables = Object.fromEntries(Object.entries(template.variables ?? {}).map(([k, v]) => [k, renderTemplate(v, msg)]));
      return { contentSid: template.contentSid, ...(Object.keys(variables).length ? { contentVariables: JSON.stringify(variables) } : {}) };
    }
    const offer = templates.length ? `: send one of the approved templates (${templates.map((t) => t.name).join(', ')})` : ' (this inbox has no templates configured)';
    throw new PermanentDeliveryError(
      `Outside the 24-hour WhatsApp window (the resident last wrote ${last ? last.toISOString() : 'never'}): only an approved template can be sent until they write again${offer}`,
    );
  }
}
