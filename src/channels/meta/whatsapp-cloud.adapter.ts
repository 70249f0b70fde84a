import { Channel } from '../../common/enum';
import {
  ComposeContext,
  ComposeOptions,
  ComposeTemplate,
  InboxConfig,
  OutboundMessage,
  PermanentDeliveryError,
} from '../channel-adapter';
import { GraphError, GraphRequestError, toDeliveryError } from './graph-client';
import { MetaWebhookAdapter, splitText } from './meta-page.adapter';
import { waIdOf } from './meta-webhook';
import { fillReference, outsideWindowReason, windowOptions } from '../whatsapp-window';

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
export class WhatsappCloudAdapter extends MetaWebhookAdapter {
  readonly channel = Channel.Whatsapp;

  async send(msg: OutboundMessage, inbox: InboxConfig): Promise<{ providerMessageId: string }> {
    const token = inbox.settings.accessToken;
    if (typeof token !== 'string' || !token) throw new PermanentDeliveryError(`Inbox "${inbox.name}" has no WhatsApp Cloud access token (settings.accessToken)`);
    if (!inbox.address) throw new PermanentDeliveryError(`Inbox "${inbox.name}" has no phone_number_id as its address`);
    // An approved template the agent picked (stored as its text, filled for this case) goes as that template.
    const picked = cloudTemplates(inbox).find((t) => fillReference(t.text, msg.caseReference) === msg.text.trim());
    if (picked) {
      try {
        return { providerMessageId: await this.post(inbox.address, token, msg.to.address, templateMessage(picked, msg.caseReference)) };
      } catch (e) {
        throw toDeliveryError(e, (error) => explain(error, true, picked.name));
      }
    }
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

  /**
   * Free text within 24 hours of the resident's last message; after that only the approved templates of
   * settings.whatsappTemplates, unless the inbox has a replyTemplate to carry typed replies in.
   */
  async composeOptions(ctx: ComposeContext, inbox: InboxConfig): Promise<ComposeOptions> {
    const configured = cloudTemplates(inbox);
    const templates = configured.map((t) => composeTemplate(t, ctx.caseReference));
    const window = windowOptions(ctx);
    if (window.freeText) return { ...window, templates };
    const carrier = templateOf(inbox);
    if (carrier) {
      return { ...window, freeText: true, reason: `More than 24 hours since the resident last wrote: a typed reply goes inside the approved template “${carrier.name}”`, templates };
    }
    return { ...window, reason: outsideWindowReason(ctx.to.lastInboundAt, configured.map((t) => t.name)), templates };
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

/**
 * An approved template agents pick (settings.whatsappTemplates): `name` and `language` as approved in WhatsApp
 * Manager, `text` the message as the resident reads it, and `components` as the Cloud API takes them, where
 * {{reference}} in any value stands for the case reference, e.g.
 * { name: "case_update", language: "en_GB", text: "There is an update on your case {{reference}}.",
 *   components: [{ type: "body", parameters: [{ type: "text", text: "{{reference}}" }] }] }
 */
export interface CloudTemplate {
  name: string;
  language: string;
  text: string;
  components: Array<Record<string, unknown>>;
}

export function cloudTemplates(inbox: InboxConfig): CloudTemplate[] {
  const list = inbox.settings.whatsappTemplates;
  if (!Array.isArray(list)) return [];
  return list
    .filter(
      (t): t is Partial<CloudTemplate> & { name: string; text: string } =>
        !!t && typeof t.name === 'string' && /^[a-z0-9_]{1,512}$/.test(t.name) && typeof t.text === 'string' && !!t.text.trim() && (t.components === undefined || Array.isArray(t.components)),
    )
    .map((t) => ({ name: t.name, language: typeof t.language === 'string' && t.language ? t.language : 'en_GB', text: t.text, components: (t.components ?? []).filter(isObject) }));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** Every string inside the components with {{reference}} filled in. */
function fillComponents<T>(value: T, reference: string): T {
  if (typeof value === 'string') return fillReference(value, reference) as T;
  if (Array.isArray(value)) return value.map((v) => fillComponents(v, reference)) as T;
  if (isObject(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillComponents(v, reference)])) as T;
  return value;
}

function templateMessage(t: CloudTemplate, reference: string): Record<string, unknown> {
  const components = fillComponents(t.components, reference);
  return { type: 'template', template: { name: t.name, language: { code: t.language }, ...(components.length ? { components } : {}) } };
}

/** As agents see it: the text filled in, and the text parameters as "body.1", "header.1", "button.0.1"… */
function composeTemplate(t: CloudTemplate, reference: string): ComposeTemplate {
  const variables: Record<string, string> = {};
  for (const c of fillComponents(t.components, reference)) {
    const where = [c.type, c.index].filter((x) => x !== undefined).join('.');
    const parameters = Array.isArray(c.parameters) ? c.parameters : [];
    parameters.forEach((p: { type?: unknown; text?: unknown }, i) => {
      if (p?.type === 'text' && typeof p.text === 'string') variables[`${where}.${i + 1}`] = p.text;
    });
  }
  return { id: `${t.name}:${t.language}`, name: t.name, language: t.language, text: fillReference(t.text, reference), variables };
}

function explain(error: GraphError, hasTemplate: boolean, picked?: string): string | undefined {
  if (picked && error.code === 132000) return `WhatsApp refused the template “${picked}”: its parameters do not match the approved template (check settings.whatsappTemplates)`;
  if (picked && error.code === 132001) return `WhatsApp refused the template “${picked}”: it does not exist in this language or is not approved (${error.error_data?.details ?? error.message ?? ''})`;
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
