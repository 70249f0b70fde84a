import { Injectable } from '@nestjs/common';
import twilio from 'twilio';
import { Channel } from '../../common/enum';
import { HubError } from '../../common/errors';
import {
  ChannelAdapter,
  ComposeContext,
  ComposeOptions,
  ComposeTemplate,
  DeliveryStatusUpdate,
  InboundMessage,
  InboxConfig,
  OutboundMessage,
  PermanentDeliveryError,
  RawRequest,
} from '../channel-adapter';
import { ChannelAdapterProvider } from '../channel-registry';
import { fillReference, outsideWindowReason, whatsappWindow, windowOptions } from '../whatsapp-window';
import { createTwilioClient, toDeliveryError } from './twilio-client';
import { isJsonBody, parseForm, requestParams, toInboundMessage, toStatusUpdates, twilioAddress } from './twilio-params';

export const SIGNATURE_HEADER = 'x-twilio-signature';
export const STATUS_PATH = '/channels/sms/twilio/status';
export { WHATSAPP_WINDOW_MS } from '../whatsapp-window';

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

/** A template as agents pick it (its name is its id) and as it goes out, filled in for one case. */
function renderTemplate(template: WhatsappTemplate, reference: string): ComposeTemplate {
  const variables = Object.fromEntries(Object.entries(template.variables ?? {}).map(([k, v]) => [k, fillReference(String(v), reference)]));
  return { id: template.name, name: template.name, text: fillReference(template.text, reference), variables };
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
  /** Where Twilio posts this inbox's delivery statuses, if not PUBLIC_BASE_URL's status path (a proxy, another hub). */
  statusCallback?: string;
}

export function twilioSettings(inbox: InboxConfig): TwilioInboxSettings {
  const { accountSid, authToken, messagingServiceSid, statusCallback } = inbox.settings as Record<string, unknown>;
  if (typeof accountSid !== 'string' || typeof authToken !== 'string' || !accountSid || !authToken) {
    throw new HubError('Unavailable', `Inbox "${inbox.name}" has no Twilio accountSid and authToken in its settings`);
  }
  const text = (v: unknown) => (typeof v === 'string' && v ? v : undefined);
  return { accountSid, authToken, messagingServiceSid: text(messagingServiceSid), statusCallback: text(statusCallback) };
}

function optOutReason(state: RecipientState | undefined): string | undefined {
  if (!state?.optedOutAt) return undefined;
  return `The resident opted out on ${state.optedOutAt.toISOString()} (they sent STOP): no messages can be sent until they send START`;
}

/**
 * Twilio Programmable Messaging, one class for both channels it carries (SMS/MMS and WhatsApp; same webhook, same
 * API, addresses whatsapp:+44… on WhatsApp). Knows nothing of our database: the recipient's opt-out and last
 * inbound time come through options.recipientState.
 */
abstract class TwilioAdapter implements ChannelAdapter {
  abstract readonly channel: Channel.Sms | Channel.Whatsapp;

  constructor(protected readonly options: TwilioAdapterOptions) {}

  /**
   * X-Twilio-Signature over the public URL (with and without the default port) and the form parameters; for a JSON
   * body, over the URL alone, whose bodySHA256 parameter must be the SHA-256 of the raw body (validateRequestWithBody).
   */
  verify(req: RawRequest, inbox: InboxConfig): void {
    const header = req.headers[SIGNATURE_HEADER];
    const signature = Array.isArray(header) ? header[0] : header;
    if (!signature) throw new HubError('SignatureInvalid', 'X-Twilio-Signature is missing');
    const { authToken } = twilioSettings(inbox);
    if (isJsonBody(req.headers)) {
      if (!new URL(req.publicUrl).searchParams.get('bodySHA256')) throw new HubError('SignatureInvalid', 'A JSON webhook must carry the bodySHA256 query parameter');
      if (!twilio.validateRequestWithBody(authToken, signature, req.publicUrl, req.rawBody.toString('utf8'))) {
        throw new HubError('SignatureInvalid', 'X-Twilio-Signature or bodySHA256 does not match this request (check PUBLIC_BASE_URL and the inbox auth token)');
      }
      return;
    }
    if (!twilio.validateRequest(authToken, signature, req.publicUrl, parseForm(req.rawBody))) {
      throw new HubError('SignatureInvalid', 'X-Twilio-Signature does not match this request (check PUBLIC_BASE_URL and the inbox auth token)');
    }
  }

  parseInbound(req: RawRequest, inbox: InboxConfig): InboundMessage[] {
    const message = toInboundMessage(requestParams(req), inbox.id);
    if (message.channel !== this.channel) throw HubError.validation(`From: a ${message.channel} address cannot reach a ${this.channel} inbox`, { field: 'From' });
    return [message];
  }

  parseStatus(req: RawRequest): DeliveryStatusUpdate[] {
    return toStatusUpdates(requestParams(req));
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
    const statusCallback = settings.statusCallback ?? (this.options.publicBaseUrl ? `${this.options.publicBaseUrl.replace(/\/$/, '')}${STATUS_PATH}` : undefined);
    try {
      const sent = await client.messages.create({ to: twilioAddress(this.channel, msg.to.address), ...content, ...sender, ...(statusCallback ? { statusCallback } : {}) });
      if (!sent.sid) throw new PermanentDeliveryError('Twilio accepted the message without giving its id');
      return { providerMessageId: sent.sid };
    } catch (e) {
      throw e instanceof PermanentDeliveryError ? e : toDeliveryError(e);
    }
  }

  /** A resident who sent STOP (or a synonym) cannot be written to until they send START: Twilio itself blocks it. */
  async replyRefusal(to: { address: string }, _inbox: InboxConfig): Promise<string | undefined> {
    return optOutReason(await this.options.recipientState(this.channel, to.address));
  }

  /** What to send: the text, or (WhatsApp) a template. Refuses what Twilio would refuse, with a clearer reason. */
  protected content(msg: OutboundMessage, _inbox: InboxConfig, state: RecipientState | undefined): MessageContent {
    const optedOut = optOutReason(state);
    if (optedOut) throw new PermanentDeliveryError(optedOut);
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

  override async replyRefusal(to: { address: string }, inbox: InboxConfig): Promise<string | undefined> {
    const other = this.options.otherWhatsappProvider?.(inbox);
    if (other) return other.replyRefusal?.(to, inbox);
    return super.replyRefusal(to, inbox);
  }

  /** Free text within the window; outside it only the inbox's templates (settings.whatsappTemplates), and why. */
  async composeOptions(ctx: ComposeContext, inbox: InboxConfig): Promise<ComposeOptions> {
    const other = this.options.otherWhatsappProvider?.(inbox);
    if (other) return other.composeOptions ? other.composeOptions(ctx, inbox) : { freeText: true, templates: [] };
    const configured = whatsappTemplates(inbox);
    const window = windowOptions(ctx);
    const templates = configured.map((t) => renderTemplate(t, ctx.caseReference));
    return window.freeText ? { ...window, templates } : { ...window, reason: outsideWindowReason(ctx.to.lastInboundAt, configured.map((t) => t.name)), templates };
  }

  /**
   * Outside the 24-hour window WhatsApp takes only approved templates. A reply whose text is exactly one of the
   * inbox's templates (settings.whatsappTemplates, offered to agents as that text) goes as its ContentSid and
   * variables; any other text is refused with the reason.
   */
  protected override content(msg: OutboundMessage, inbox: InboxConfig, state: RecipientState | undefined): MessageContent {
    const free = super.content(msg, inbox, state);
    const last = state?.lastInboundAt ?? null;
    if (whatsappWindow(last, new Date()).open) return free;
    const templates = whatsappTemplates(inbox);
    const template = templates.find((t) => renderTemplate(t, msg.caseReference).text === msg.text.trim());
    if (template) {
      const { variables } = renderTemplate(template, msg.caseReference);
      return { contentSid: template.contentSid, ...(Object.keys(variables).length ? { contentVariables: JSON.stringify(variables) } : {}) };
    }
    throw new PermanentDeliveryError(outsideWindowReason(last, templates.map((t) => t.name)));
  }
}
