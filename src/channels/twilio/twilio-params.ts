import { Channel, DeliveryStatus } from '../../common/enum';
import { HubError } from '../../common/errors';
import { AttachmentMeta, DeliveryStatusUpdate, InboundMessage } from '../channel-adapter';
import { withoutNul } from '../../common/nul';

/** Twilio's form parameters exactly as sent: a repeated name keeps every value (all of them are signed). */
export type TwilioParams = Record<string, string | string[]>;

/** Twilio's own limit for a message body; longer SMS are re-assembled by Twilio before they reach us. */
export const BODY_MAX = 1600;
/** Twilio sends at most 10 media items per message. */
export const MEDIA_MAX = 10;
export const WHATSAPP_PREFIX = 'whatsapp:';

/** The form body from its raw bytes, so the signature covers exactly what Twilio sent (no qs nesting). */
export function parseForm(rawBody: Buffer): TwilioParams {
  const params: TwilioParams = {};
  for (const [name, value] of new URLSearchParams(rawBody.toString('utf8'))) {
    const prev = params[name];
    params[name] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
  }
  return params;
}

/** True when Twilio posted JSON (signed with the bodySHA256 query parameter) rather than a form. */
export function isJsonBody(headers: Record<string, string | string[] | undefined>): boolean {
  const type = headers['content-type'];
  return /^application\/json\b/i.test((Array.isArray(type) ? type[0] : type) ?? '');
}

/**
 * The parameters of a JSON webhook body, in the same shape as a form's: scalars as strings, an array of scalars as
 * a repeated parameter, a nested object as its JSON text. Not an object → bad input.
 */
export function parseJson(rawBody: Buffer): TwilioParams {
  let body: unknown;
  try {
    body = JSON.parse(rawBody.toString('utf8'));
  } catch {
    throw HubError.validation('Malformed JSON body');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw HubError.validation('The JSON body must be an object of parameters');
  const params: TwilioParams = {};
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (value === null || value === undefined) continue;
    params[name] = Array.isArray(value) ? value.map(scalar) : scalar(value);
  }
  return params;
}

function scalar(value: unknown): string {
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * A webhook's parameters, from a form body or a JSON one, without NUL characters: the inbox and the resident are
 * looked up by them before intake (see withoutNul). The signature is checked on the raw body, as Twilio sent it.
 */
export function requestParams(req: { headers: Record<string, string | string[] | undefined>; rawBody: Buffer }): TwilioParams {
  return withoutNul(isJsonBody(req.headers) ? parseJson(req.rawBody) : parseForm(req.rawBody));
}

/** One value of a parameter; a repeated scalar parameter is bad input. */
export function param(params: TwilioParams, name: string): string | undefined {
  const value = params[name];
  if (Array.isArray(value)) throw HubError.validation(`${name}: must be given once`, { field: name });
  return value;
}

function required(params: TwilioParams, name: string): string {
  const value = param(params, name)?.trim();
  if (!value) throw HubError.validation(`${name}: is required`, { field: name });
  return value;
}

/** whatsapp:+447… belongs to the whatsapp channel, anything else to sms. */
export function channelOf(address: string | undefined): Channel.Sms | Channel.Whatsapp {
  return address?.toLowerCase().startsWith(WHATSAPP_PREFIX) ? Channel.Whatsapp : Channel.Sms;
}

/** The address without its channel prefix: +447… for both channels (or a WhatsApp business-scoped user id). */
export function bareAddress(address: string): string {
  return address.toLowerCase().startsWith(WHATSAPP_PREFIX) ? address.slice(WHATSAPP_PREFIX.length) : address;
}

/** The address as Twilio wants it on a channel: whatsapp: in front for WhatsApp. */
export function twilioAddress(channel: Channel, address: string): string {
  return channel === Channel.Whatsapp && !address.toLowerCase().startsWith(WHATSAPP_PREFIX) ? `${WHATSAPP_PREFIX}${address}` : address;
}

/** A Twilio inbound message webhook → our normalised record; bad input names the field. */
export function toInboundMessage(params: TwilioParams, inboxId: string): InboundMessage {
  const sid = required(params, 'MessageSid');
  if (sid.length > 64) throw HubError.validation('MessageSid: is too long', { field: 'MessageSid' });
  const from = required(params, 'From');
  const to = required(params, 'To');
  const body = param(params, 'Body') ?? '';
  if (Array.from(body).length > BODY_MAX) throw HubError.validation(`Body: must be at most ${BODY_MAX} characters`, { field: 'Body' });
  const channel = channelOf(from);
  if (channelOf(to) !== channel) throw HubError.validation('From and To: must both be WhatsApp addresses or both phone numbers', { field: 'To' });
  const attachments = media(params);
  const name = param(params, 'ProfileName')?.trim();
  return {
    channel,
    inboxId,
    externalMessageId: sid,
    sender: { address: bareAddress(from), name: name || undefined },
    recipient: to,
    text: body.trim(),
    textFull: body !== body.trim() ? body : undefined,
    attachments,
  };
}

function media(params: TwilioParams): AttachmentMeta[] {
  const raw = param(params, 'NumMedia')?.trim() ?? '0';
  if (!/^\d{1,2}$/.test(raw) || Number(raw) > MEDIA_MAX) throw HubError.validation(`NumMedia: must be a whole number from 0 to ${MEDIA_MAX}`, { field: 'NumMedia' });
  const items: AttachmentMeta[] = [];
  for (let i = 0; i < Number(raw); i++) {
    const url = param(params, `MediaUrl${i}`)?.trim();
    if (!url || !/^https?:\/\/\S+$/.test(url)) throw HubError.validation(`MediaUrl${i}: is required and must be a URL when NumMedia is ${raw}`, { field: `MediaUrl${i}` });
    const contentType = param(params, `MediaContentType${i}`)?.trim() || 'application/octet-stream';
    items.push({ filename: `media-${i}${extensionOf(contentType)}`, contentType, size: 0, url });
  }
  return items;
}

function extensionOf(contentType: string): string {
  const sub = /^[a-z]+\/([a-z0-9.+-]+)/i.exec(contentType)?.[1];
  return sub && /^[a-z0-9]{2,5}$/i.test(sub) ? `.${sub.toLowerCase().replace('jpeg', 'jpg')}` : '';
}

export type OptKeyword = 'stop' | 'start' | 'help';

const STOP_WORDS = new Set(['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT']);
const START_WORDS = new Set(['START', 'YES', 'UNSTOP']);
const HELP_WORDS = new Set(['HELP', 'INFO']);

/**
 * Twilio's single-word opt-out keywords (channels.md §1): the whole message, any case, surrounding spaces and a
 * final full stop or exclamation mark allowed; "STOP PLEASE" does not count. Advanced Opt-Out's OptOutType wins.
 */
export function optKeyword(params: TwilioParams): OptKeyword | undefined {
  const type = param(params, 'OptOutType')?.trim().toUpperCase();
  if (type === 'STOP' || type === 'START' || type === 'HELP') return type.toLowerCase() as OptKeyword;
  const word = (param(params, 'Body') ?? '').trim().replace(/[.!]+$/, '').toUpperCase();
  if (STOP_WORDS.has(word)) return 'stop';
  if (START_WORDS.has(word)) return 'start';
  if (HELP_WORDS.has(word)) return 'help';
  return undefined;
}

/** Twilio's MessageStatus → ours; statuses before "sent" or about inbound messages change nothing. */
export function mapStatus(status: string): DeliveryStatus | undefined {
  switch (status) {
    case 'sent':
    case 'partially_delivered':
      return DeliveryStatus.Sent;
    case 'delivered':
      return DeliveryStatus.Delivered;
    case 'read':
      return DeliveryStatus.Read;
    case 'failed':
    case 'undelivered':
    case 'canceled':
      return DeliveryStatus.Failed;
    case 'queued':
    case 'accepted':
    case 'scheduled':
    case 'sending':
    case 'receiving':
    case 'received':
      return undefined;
    default:
      return undefined;
  }
}

/** A status callback → one update, or none for statuses that do not move a delivery. */
export function toStatusUpdates(params: TwilioParams): DeliveryStatusUpdate[] {
  const sid = required(params, 'MessageSid');
  const raw = (param(params, 'MessageStatus') ?? param(params, 'SmsStatus'))?.trim();
  if (!raw) throw HubError.validation('MessageStatus: is required', { field: 'MessageStatus' });
  const status = mapStatus(raw);
  if (!status) return [];
  const code = param(params, 'ErrorCode')?.trim();
  const reason = status === DeliveryStatus.Failed ? `${raw}${code ? `: ${describeTwilioError(Number(code)) ?? `Twilio error ${code}`}` : ''}` : undefined;
  return [{ providerMessageId: sid, status, reason }];
}

/** Readable reasons for the Twilio error codes staff meet most (https://www.twilio.com/docs/api/errors). */
export function describeTwilioError(code: number | undefined): string | undefined {
  switch (code) {
    case 21610:
      return 'the resident has opted out of messages from this number (they texted STOP; START opts back in) (Twilio 21610)';
    case 21211:
      return 'the resident’s number is not a valid phone number (Twilio 21211)';
    case 21614:
      return 'the resident’s number is not a mobile number that can receive SMS (Twilio 21614)';
    case 21612:
      return 'Twilio cannot route a message between these two numbers (Twilio 21612)';
    case 21408:
      return 'the account may not send to this country (Twilio 21408)';
    case 21606:
    case 21659:
      return 'our sending number cannot send this message (Twilio ' + code + ')';
    case 63016:
      return 'outside the 24-hour WhatsApp window: only an approved template can be sent until the resident writes again (Twilio 63016)';
    case 63021:
      return 'the WhatsApp template with its parameters is too long (Twilio 63021)';
    case 20003:
      return 'Twilio refused the account credentials of this inbox (Twilio 20003)';
    case 20429:
      return 'Twilio is rate-limiting this account (Twilio 20429)';
    case 30003:
      return 'the handset is unreachable or switched off (Twilio 30003)';
    case 30004:
      return 'the message was blocked by the carrier or the resident (Twilio 30004)';
    case 30005:
      return 'the number is unknown or no longer in service (Twilio 30005)';
    case 30006:
      return 'the number is a landline or cannot receive this message (Twilio 30006)';
    case 30007:
      return 'the carrier filtered the message as spam (Twilio 30007)';
    case 30008:
      return 'the carrier could not deliver the message (Twilio 30008)';
    default:
      return undefined;
  }
}
