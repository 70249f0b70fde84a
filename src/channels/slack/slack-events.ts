import { Channel } from '../../common/enum';
import { HubError } from '../../common/errors';
import { AttachmentMeta, InboundMessage } from '../channel-adapter';

/**
 * What one Events API delivery asks of the hub (channels.md §2). Only people's own posts count: anything with a
 * bot_id, a subtype other than file_share, or no user is the hub's own post or Slack's housekeeping (loop guard).
 */
export type SlackAction =
  | { kind: 'challenge'; challenge: string }
  /** A direct message to the app: a resident (or a partner on Slack Connect) writing in. */
  | { kind: 'dm'; eventId: string; teamId: string; message: Omit<InboundMessage, 'inboxId'> }
  /** A person's reply in a thread of a channel: a staff member answering a mirrored case. */
  | { kind: 'thread-reply'; eventId: string; teamId: string; channelId: string; threadTs: string; ts: string; userId: string; text: string }
  | { kind: 'ignore'; eventId?: string; reason: string };

type Json = Record<string, unknown>;

export function classifySlackEnvelope(body: unknown): SlackAction {
  if (!isObject(body)) throw HubError.validation('The body must be a JSON object');
  if (body.type === 'url_verification') {
    if (typeof body.challenge !== 'string' || !body.challenge) throw HubError.validation('challenge is required', { field: 'challenge' });
    return { kind: 'challenge', challenge: body.challenge };
  }
  if (body.type !== 'event_callback') return { kind: 'ignore', reason: `envelope type ${String(body.type)} not handled` };
  const eventId = str(body.event_id, 'event_id');
  const teamId = typeof body.team_id === 'string' ? body.team_id : '';
  const event = body.event;
  if (!isObject(event)) throw HubError.validation('event: must be an object', { field: 'event' });
  if (event.type !== 'message') return { kind: 'ignore', eventId, reason: `event type ${String(event.type)} not handled` };
  if (event.bot_id !== undefined || (event.subtype !== undefined && event.subtype !== 'file_share') || typeof event.user !== 'string') {
    return { kind: 'ignore', eventId, reason: `bot or system message (${String(event.subtype ?? event.bot_id ?? 'no user')})` };
  }
  const channelId = str(event.channel, 'event.channel');
  const ts = str(event.ts, 'event.ts');
  const text = typeof event.text === 'string' ? event.text.trim() : '';
  if (event.channel_type === 'im') {
    return {
      kind: 'dm',
      eventId,
      teamId,
      message: {
        channel: Channel.Slack,
        externalMessageId: `${channelId}:${ts}`,
        sender: { address: event.user },
        recipient: teamId,
        text,
        attachments: asArray(event.files).filter(isObject).map(file),
        sentAt: /^\d+(\.\d+)?$/.test(ts) ? new Date(Math.round(Number(ts) * 1000)) : undefined,
      },
    };
  }
  if (typeof event.thread_ts === 'string' && event.thread_ts !== ts) {
    return { kind: 'thread-reply', eventId, teamId, channelId, threadTs: event.thread_ts, ts, userId: event.user, text };
  }
  return { kind: 'ignore', eventId, reason: `${String(event.channel_type ?? 'channel')} message outside a thread` };
}

function file(f: Json): AttachmentMeta {
  return {
    filename: typeof f.name === 'string' ? f.name : 'file',
    contentType: typeof f.mimetype === 'string' ? f.mimetype : 'application/octet-stream',
    size: typeof f.size === 'number' ? f.size : 0,
    ...(typeof f.url_private === 'string' ? { url: f.url_private } : {}),
  };
}

function str(value: unknown, field: string): string {
  if (typeof value !== 'string' || !value) throw HubError.validation(`${field} is required`, { field });
  return value;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
