import { Channel, DeliveryStatus } from '../../common/enum';
import { HubError } from '../../common/errors';
import { AttachmentMeta, DeliveryStatusUpdate, InboundMessage } from '../channel-adapter';

/**
 * Parses a Meta webhook body (channels.md §4.2) into what the hub acts on. One POST batches entries for many pages,
 * Instagram accounts or WhatsApp numbers; each item names the inbox address it belongs to (page id, IG account id,
 * phone_number_id). A malformed entry or event becomes a `skip` with the reason, so its neighbours still count.
 */
export type MetaItem =
  | { kind: 'message'; channel: Channel; address: string; message: Omit<InboundMessage, 'inboxId'> }
  | { kind: 'status'; channel: Channel; address: string; update: DeliveryStatusUpdate }
  /** Messenger's receipts by watermark: every message to `recipient` sent up to `watermark` reached `status`. */
  | { kind: 'watermark'; channel: Channel; address: string; recipient: string; status: DeliveryStatus.Delivered | DeliveryStatus.Read; watermark: Date }
  /** A message the page itself sent (our reply, or staff in Meta Business Suite), to `recipient` (the resident). */
  | { kind: 'echo'; channel: Channel; address: string; recipient: string; echo: MetaEcho }
  /** The resident reacted to a message (or took the reaction back: emoji empty / action unreact). */
  | { kind: 'reaction'; channel: Channel; address: string; sender: string; reaction: MetaReaction }
  | { kind: 'skip'; reason: string };

export interface MetaEcho {
  mid: string;
  text: string;
  attachments: AttachmentMeta[];
  /** The app that sent it (Meta Business Suite has its own). */
  appId?: string;
  /** What the sender put in message.metadata: ours is `contact-hub:<message id>`. */
  metadata?: string;
  sentAt?: Date;
}

export interface MetaReaction {
  /** The message reacted to: one of ours (provider id) or one of the resident's (external id). */
  mid: string;
  emoji: string;
  action: 'react' | 'unreact';
  at?: Date;
}

/** message.metadata on our Messenger sends, so the echo Meta sends back is known as ours. */
export const OUR_METADATA_PREFIX = 'contact-hub:';

export const META_OBJECTS: Record<string, Channel> = {
  page: Channel.Messenger,
  instagram: Channel.Instagram,
  whatsapp_business_account: Channel.Whatsapp,
};

type Json = Record<string, unknown>;

export interface MetaParseOptions {
  /** Where a WhatsApp media id can be resolved to a download URL (GET /{version}/{media-id}, bearer token). */
  mediaUrl(mediaId: string): string;
}

export function parseMetaWebhook(body: unknown, options: MetaParseOptions): MetaItem[] {
  if (!isObject(body)) throw HubError.validation('The body must be a JSON object');
  const channel = typeof body.object === 'string' ? META_OBJECTS[body.object] : undefined;
  if (!channel) throw HubError.validation(`object: expected one of ${Object.keys(META_OBJECTS).join(', ')}`, { field: 'object' });
  if (!Array.isArray(body.entry)) throw HubError.validation('entry: must be an array', { field: 'entry' });
  const items: MetaItem[] = [];
  body.entry.forEach((entry, i) => {
    try {
      items.push(...(channel === Channel.Whatsapp ? whatsappEntry(entry, options) : pageEntry(channel, entry)));
    } catch (e) {
      items.push({ kind: 'skip', reason: `entry[${i}]: ${(e as Error).message}` });
    }
  });
  return items;
}

/** Messenger and Instagram: `messaging[]` (or `standby[]` while another app owns the thread). */
function pageEntry(channel: Channel, entry: unknown): MetaItem[] {
  if (!isObject(entry)) throw new Error('not an object');
  const events = [...asArray(entry.messaging), ...asArray(entry.standby)];
  if (!events.length) throw new Error('no messaging events');
  return events.flatMap((event, j): MetaItem[] => {
    try {
      return pageEvent(channel, event, entry);
    } catch (e) {
      return [{ kind: 'skip', reason: `messaging[${j}]: ${(e as Error).message}` }];
    }
  });
}

function pageEvent(channel: Channel, event: unknown, entry: Json): MetaItem[] {
  if (!isObject(event)) throw new Error('not an object');
  const sender = str(isObject(event.sender) ? event.sender.id : undefined, 'sender.id');
  const recipient = isObject(event.recipient) && typeof event.recipient.id === 'string' ? event.recipient.id : undefined;
  if (isObject(event.message)) {
    const m = event.message;
    // An echo is a message the page sent (our own reply, or staff in Meta Business Suite): sender is the page.
    if (m.is_echo === true) return [pageEcho(channel, event, m, sender, entry)];
    const address = recipient ?? str(entry.id, 'entry.id');
    if (m.is_deleted === true || m.is_unsupported === true) return [{ kind: 'skip', reason: `unsupported or deleted message ${String(m.mid)}` }];
    return [{
      kind: 'message',
      channel,
      address,
      message: {
        channel,
        externalMessageId: str(m.mid, 'message.mid'),
        sender: { address: sender },
        recipient: address,
        text: typeof m.text === 'string' ? m.text.trim() : '',
        attachments: asArray(m.attachments).map(pageAttachment),
        sentAt: typeof event.timestamp === 'number' ? new Date(event.timestamp) : undefined,
      },
    }];
  }
  const address = recipient ?? str(entry.id, 'entry.id');
  const at = typeof event.timestamp === 'number' ? new Date(event.timestamp) : undefined;
  if (isObject(event.postback)) return [postback(channel, address, sender, event.postback, at)];
  if (isObject(event.reaction)) return [pageReaction(channel, address, sender, event.reaction, at)];
  if (isObject(event.delivery)) {
    const mids = asArray(event.delivery.mids).filter((mid): mid is string => typeof mid === 'string');
    if (!mids.length) return [watermark(channel, address, sender, DeliveryStatus.Delivered, event.delivery.watermark)];
    return mids.map((mid): MetaItem => ({ kind: 'status', channel, address, update: { providerMessageId: mid, status: DeliveryStatus.Delivered } }));
  }
  if (isObject(event.read)) {
    // Instagram names the message read; Messenger gives only a watermark (everything sent before it was read).
    if (typeof event.read.mid === 'string') return [{ kind: 'status', channel, address, update: { providerMessageId: event.read.mid, status: DeliveryStatus.Read } }];
    return [watermark(channel, address, sender, DeliveryStatus.Read, event.read.watermark)];
  }
  const kind = Object.keys(event).find((k) => !['sender', 'recipient', 'timestamp'].includes(k)) ?? 'empty';
  return [{ kind: 'skip', reason: `${kind} event not handled` }];
}

/**
 * A button tap: the resident's choice as text (the button's title, else its payload). Newer API versions give the
 * postback a mid; older ones do not, and the sender and timestamp name it instead (Meta retries keep both).
 */
function postback(channel: Channel, address: string, sender: string, p: Json, at: Date | undefined): MetaItem {
  const text = [p.title, p.payload].find((x): x is string => typeof x === 'string' && x.trim() !== '');
  if (!text) throw new Error('postback without title or payload');
  if (typeof p.mid !== 'string' && !at) throw new Error('postback without mid or timestamp');
  const id = typeof p.mid === 'string' && p.mid ? p.mid : `postback:${sender}:${at!.getTime()}`;
  return {
    kind: 'message',
    channel,
    address,
    message: { channel, externalMessageId: id, sender: { address: sender }, recipient: address, text: text.trim(), attachments: [], sentAt: at },
  };
}

function pageReaction(channel: Channel, address: string, sender: string, r: Json, at: Date | undefined): MetaItem {
  const mid = str(r.mid, 'reaction.mid');
  const action = r.action === 'unreact' ? 'unreact' : 'react';
  const emoji = typeof r.emoji === 'string' ? r.emoji : typeof r.reaction === 'string' ? r.reaction : '';
  return { kind: 'reaction', channel, address, sender, reaction: { mid, emoji, action, at } };
}

function pageEcho(channel: Channel, event: Json, m: Json, page: string, entry: Json): MetaItem {
  const recipient = str(isObject(event.recipient) ? event.recipient.id : undefined, 'recipient.id');
  const address = typeof entry.id === 'string' && entry.id ? entry.id : page;
  const appId = typeof m.app_id === 'number' || typeof m.app_id === 'string' ? String(m.app_id) : undefined;
  return {
    kind: 'echo',
    channel,
    address,
    recipient,
    echo: {
      mid: str(m.mid, 'message.mid'),
      text: typeof m.text === 'string' ? m.text.trim() : '',
      attachments: asArray(m.attachments).map(pageAttachment),
      appId,
      metadata: typeof m.metadata === 'string' ? m.metadata : undefined,
      sentAt: typeof event.timestamp === 'number' ? new Date(event.timestamp) : undefined,
    },
  };
}

function watermark(channel: Channel, address: string, recipient: string, status: DeliveryStatus.Delivered | DeliveryStatus.Read, value: unknown): MetaItem {
  if (typeof value !== 'number' || !Number.isFinite(value)) return { kind: 'skip', reason: `${status} receipt without mids or watermark` };
  return { kind: 'watermark', channel, address, recipient, status, watermark: new Date(value) };
}

function pageAttachment(a: unknown): AttachmentMeta {
  const att = isObject(a) ? a : {};
  const type = typeof att.type === 'string' ? att.type : 'file';
  const url = isObject(att.payload) && typeof att.payload.url === 'string' ? att.payload.url : undefined;
  const name = (url && fileNameOf(url)) || type;
  return { filename: name, contentType: PAGE_TYPES[type] ?? 'application/octet-stream', size: 0, ...(url ? { url } : {}) };
}

function fileNameOf(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).pathname.split('/').pop() ?? '') || undefined;
  } catch {
    return undefined;
  }
}

const PAGE_TYPES: Record<string, string> = { image: 'image/*', video: 'video/*', audio: 'audio/*', file: 'application/octet-stream' };

/** WhatsApp Cloud: `changes[]` of field `messages`, each with messages[] and/or statuses[]. */
function whatsappEntry(entry: unknown, options: MetaParseOptions): MetaItem[] {
  if (!isObject(entry)) throw new Error('not an object');
  const changes = asArray(entry.changes);
  if (!changes.length) throw new Error('no changes');
  return changes.flatMap((change, j): MetaItem[] => {
    try {
      if (!isObject(change) || !isObject(change.value)) throw new Error('no value');
      if (change.field !== 'messages') return [{ kind: 'skip', reason: `field ${String(change.field)} not handled` }];
      return whatsappValue(change.value, options);
    } catch (e) {
      return [{ kind: 'skip', reason: `changes[${j}]: ${(e as Error).message}` }];
    }
  });
}

function whatsappValue(value: Json, options: MetaParseOptions): MetaItem[] {
  const address = str(isObject(value.metadata) ? value.metadata.phone_number_id : undefined, 'metadata.phone_number_id');
  const names = new Map(
    asArray(value.contacts)
      .filter(isObject)
      .map((c) => [String(c.wa_id), isObject(c.profile) && typeof c.profile.name === 'string' ? c.profile.name : undefined] as const),
  );
  const messages = asArray(value.messages).map((m, k): MetaItem => {
    try {
      return whatsappMessage(m, address, names, options);
    } catch (e) {
      return { kind: 'skip', reason: `messages[${k}]: ${(e as Error).message}` };
    }
  });
  const statuses = asArray(value.statuses).map((s, k): MetaItem => {
    try {
      return whatsappStatus(s, address);
    } catch (e) {
      return { kind: 'skip', reason: `statuses[${k}]: ${(e as Error).message}` };
    }
  });
  return [...messages, ...statuses];
}

function whatsappMessage(m: unknown, address: string, names: Map<string, string | undefined>, options: MetaParseOptions): MetaItem {
  if (!isObject(m)) throw new Error('not an object');
  const id = str(m.id, 'id');
  const from = str(m.from, 'from');
  const type = str(m.type, 'type');
  if (type === 'reaction') return whatsappReaction(m, address, from);
  const content = whatsappContent(type, m, options);
  if (!content) return { kind: 'skip', reason: `WhatsApp ${type} message ${id} not handled` };
  return {
    kind: 'message',
    channel: Channel.Whatsapp,
    address,
    message: {
      channel: Channel.Whatsapp,
      externalMessageId: id,
      sender: { address: whatsappAddress(from), name: names.get(from) },
      recipient: address,
      text: content.text.trim(),
      attachments: content.attachments,
      sentAt: /^\d+$/.test(String(m.timestamp)) ? new Date(Number(m.timestamp) * 1000) : undefined,
    },
  };
}

/** A WhatsApp reaction is a message of type reaction; an empty emoji takes the reaction back. */
function whatsappReaction(m: Json, address: string, from: string): MetaItem {
  const r = isObject(m.reaction) ? m.reaction : {};
  const emoji = typeof r.emoji === 'string' ? r.emoji : '';
  const at = /^\d+$/.test(String(m.timestamp)) ? new Date(Number(m.timestamp) * 1000) : undefined;
  return { kind: 'reaction', channel: Channel.Whatsapp, address, sender: whatsappAddress(from), reaction: { mid: str(r.message_id, 'reaction.message_id'), emoji, action: emoji ? 'react' : 'unreact', at } };
}

const MEDIA_TYPES = ['image', 'document', 'audio', 'video', 'sticker'];

function whatsappContent(type: string, m: Json, options: MetaParseOptions): { text: string; attachments: AttachmentMeta[] } | undefined {
  const part = isObject(m[type]) ? (m[type] as Json) : {};
  if (type === 'text') return { text: str(part.body, 'text.body'), attachments: [] };
  if (MEDIA_TYPES.includes(type)) {
    const mediaId = str(part.id, `${type}.id`);
    const contentType = typeof part.mime_type === 'string' ? part.mime_type : 'application/octet-stream';
    const filename = typeof part.filename === 'string' ? part.filename : `${type}-${mediaId}`;
    return { text: typeof part.caption === 'string' ? part.caption : '', attachments: [{ filename, contentType, size: 0, url: options.mediaUrl(mediaId) }] };
  }
  if (type === 'location') {
    const label = [part.name, part.address].filter((x) => typeof x === 'string').join(', ');
    return { text: `Location: ${String(part.latitude)}, ${String(part.longitude)}${label ? ` (${label})` : ''}`, attachments: [] };
  }
  if (type === 'button') return { text: typeof part.text === 'string' ? part.text : '', attachments: [] };
  if (type === 'interactive') {
    const reply = [part.button_reply, part.list_reply].find(isObject);
    return reply && typeof reply.title === 'string' ? { text: reply.title, attachments: [] } : undefined;
  }
  return undefined;
}

const WHATSAPP_STATUS: Record<string, DeliveryStatus> = {
  sent: DeliveryStatus.Sent,
  delivered: DeliveryStatus.Delivered,
  read: DeliveryStatus.Read,
  played: DeliveryStatus.Read,
  failed: DeliveryStatus.Failed,
};

function whatsappStatus(s: unknown, address: string): MetaItem {
  if (!isObject(s)) throw new Error('not an object');
  const id = str(s.id, 'id');
  const status = WHATSAPP_STATUS[String(s.status)];
  if (!status) return { kind: 'skip', reason: `unknown WhatsApp status ${String(s.status)} for ${id}` };
  const error = asArray(s.errors).find(isObject);
  const reason = error ? whatsappErrorText(error) : status === DeliveryStatus.Failed ? 'WhatsApp reported the message as failed' : undefined;
  const at = /^\d+$/.test(String(s.timestamp)) ? new Date(Number(s.timestamp) * 1000) : undefined;
  return { kind: 'status', channel: Channel.Whatsapp, address, update: { providerMessageId: id, status, reason, at } };
}

export function whatsappErrorText(error: Json): string {
  const details = isObject(error.error_data) && typeof error.error_data.details === 'string' ? error.error_data.details : undefined;
  const title = [error.title, error.message].find((x) => typeof x === 'string') as string | undefined;
  return [`WhatsApp error ${String(error.code ?? '')}`.trim(), title, details].filter(Boolean).join(': ');
}

/** WhatsApp residents share the Twilio WhatsApp identity format, so one person is one identity whichever provider. */
export function whatsappAddress(waId: string): string {
  return `whatsapp:+${waId.replace(/^\+/, '')}`;
}

export function waIdOf(address: string): string {
  return address.replace(/^whatsapp:/, '').replace(/^\+/, '');
}

function str(value: unknown, field: string): string {
  if (typeof value !== 'string' || !value) throw new Error(`${field} is missing`);
  return value;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
