import { Injectable, Logger } from '@nestjs/common';
import { AttachmentService } from '../../attachments/attachment.service';
import { CasesService } from '../../cases/cases.service';
import { Channel } from '../../common/enum';
import { HubError } from '../../common/errors';
import { Env } from '../../config/env';
import { Db } from '../../database/db';
import { InboxesService } from '../../inboxes/inboxes.service';
import { JobQueue } from '../../jobs/job-queue';
import { JobContext, JobName, JobOf } from '../../jobs/job.types';
import { OnJob } from '../../jobs/on-job.decorator';
import { MessageRow } from '../../messages/message.repository';
import { MessagesService } from '../../messages/messages.service';
import { AttachmentMeta, InboxConfig } from '../channel-adapter';
import { fetchPageMedia, fetchWhatsappCloudMedia } from '../meta/meta-media';
import { isWhatsappCloudInbox } from '../meta/whatsapp-cloud.adapter';
import { twilioSettings } from '../twilio/twilio.adapter';
import { fetchTwilioMedia } from '../twilio/twilio-media';
import { FetchedBytes } from './fetch-media';
import { CHANNEL_MEDIA_TYPES, declaredTypeOf } from './media-types';

/** The store's own cap (the attachment table holds files up to 10 MB); larger media stay at the provider. */
export const CHANNEL_MEDIA_MAX_BYTES = 10 * 1024 * 1024;

/** Channels whose messages name their media by URL at the provider. */
const FETCHED = new Set<Channel>([Channel.Sms, Channel.Whatsapp, Channel.Messenger, Channel.Instagram]);

/** The bytes of one attachment of a message, already in hand (email: parsed from the mail). */
export interface AttachmentBytes {
  index: number;
  bytes: Buffer;
}

/**
 * Residents' media into the hub's attachment store, linked to the message's case, with the message's attachment
 * list rewritten to the stored copies (id, sniffed type, size, /api/v1/attachments/<id>; the provider's URL kept as
 * sourceUrl).
 *
 * Never on a webhook's critical path: the message is committed and acknowledged first with the provider's URLs;
 * fetchLater() then enqueues a job that downloads, stores and links, retried with back-off on network trouble or a
 * provider's 5xx. A file refused for good (type, size, gone) keeps its provider URL with the reason in `error`.
 */
@Injectable()
export class ChannelMediaService {
  private readonly logger = new Logger(ChannelMediaService.name);

  constructor(
    private readonly env: Env,
    private readonly db: Db,
    private readonly messages: MessagesService,
    private readonly cases: CasesService,
    private readonly inboxes: InboxesService,
    private readonly attachments: AttachmentService,
    private readonly jobs: JobQueue,
  ) {}

  /** After intake committed a message with media: one job per message (a repeat enqueue is a no-op). */
  async fetchLater(messageId: string, attachments: AttachmentMeta[]): Promise<void> {
    if (!attachments.some(isPending)) return;
    await this.jobs
      .enqueue(JobName.FetchInboundMedia, { messageId }, { jobId: `media:${messageId}` })
      .catch((e: Error) => this.logger.warn(`media of message ${messageId} not queued (staff can still open it at the provider): ${e.message}`));
  }

  @OnJob(JobName.FetchInboundMedia)
  async handleFetch({ messageId }: JobOf<JobName.FetchInboundMedia>, ctx: JobContext): Promise<void> {
    const message = await this.messages.get(messageId).catch(() => undefined);
    if (!message || !FETCHED.has(message.channel)) return;
    const inbox = await this.inboxes.get((await this.cases.get(message.case_id)).inbox_id);
    const list = [...message.attachments];
    let retry: unknown;
    for (const [index, item] of list.entries()) {
      if (!isPending(item)) continue;
      try {
        const fetched = await this.fetch(message.channel, item, inbox);
        list[index] = await this.storeOne(message, item, fetched.bytes, fetched.contentType || item.contentType);
        await this.save(message, list, [list[index].id!]);
      } catch (e) {
        if (isTransient(e) && !ctx.isFinalAttempt) {
          retry ??= e;
          continue;
        }
        list[index] = { ...item, error: reasonOf(e) };
        await this.save(message, list, []);
      }
    }
    if (retry) throw retry;
  }

  /** Email: the bytes came with the mail. Stored now, after the message is committed; one refused file does not stop the rest. */
  async storeBytes(messageId: string, items: AttachmentBytes[], allow: readonly string[], maxBytes: number): Promise<void> {
    const message = await this.messages.get(messageId);
    const list = [...message.attachments];
    const linked: string[] = [];
    for (const { index, bytes } of items) {
      const item = list[index];
      if (!item || item.id || item.error) continue; // stored by an earlier delivery of the same mail
      try {
        list[index] = await this.storeOne(message, item, bytes, item.contentType, allow, maxBytes);
        linked.push(list[index].id!);
      } catch (e) {
        if (isTransient(e)) throw e;
        list[index] = { ...item, error: reasonOf(e) };
      }
    }
    await this.save(message, list, linked);
  }

  private async storeOne(message: MessageRow, item: AttachmentMeta, bytes: Buffer, declared: string, allow: readonly string[] = CHANNEL_MEDIA_TYPES, maxBytes = CHANNEL_MEDIA_MAX_BYTES): Promise<AttachmentMeta> {
    const stored = await this.attachments.store({ bytes, filename: item.filename, declaredType: declaredTypeOf(declared), source: sourceOf(message), allow, maxBytes });
    const sourceUrl = item.sourceUrl ?? item.url; // the provider's URL, or an inline image's cid:
    return { filename: stored.filename, contentType: stored.contentType, size: stored.size, id: stored.id, url: stored.url, ...(sourceUrl ? { sourceUrl } : {}) };
  }

  private async save(message: MessageRow, list: AttachmentMeta[], ids: string[]): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (ids.length) await this.attachments.link(tx, ids, message.case_id, sourceOf(message));
      await this.messages.updateAttachments(tx, message.id, list);
    });
  }

  private fetch(channel: Channel, item: AttachmentMeta, inbox: InboxConfig): Promise<FetchedBytes> {
    const url = item.url!;
    const common = { timeoutMs: this.env.DELIVERY_TIMEOUT_MS, maxBytes: CHANNEL_MEDIA_MAX_BYTES };
    const meta = { ...common, graphBaseUrl: this.env.META_GRAPH_API_URL };
    if (channel === Channel.Messenger || channel === Channel.Instagram) return fetchPageMedia(url, meta);
    if (channel === Channel.Whatsapp && isWhatsappCloudInbox(inbox)) {
      const token = inbox.settings.accessToken;
      if (typeof token !== 'string' || !token) throw new HubError('Unavailable', `Inbox "${inbox.name}" has no WhatsApp Cloud access token`);
      return fetchWhatsappCloudMedia(url, token, meta);
    }
    const { accountSid, authToken } = twilioSettings(inbox);
    return fetchTwilioMedia(url, { accountSid, authToken, apiBaseUrl: this.env.TWILIO_API_BASE_URL, ...common });
  }
}

/** Not yet stored or refused, and named by a provider URL (an email's inline cid: images are not fetched). */
function isPending(a: AttachmentMeta): boolean {
  return !a.id && !a.error && typeof a.url === 'string' && /^https?:\/\//i.test(a.url);
}

/** Trying later may help: the provider or the network had trouble, or the inbox is missing a setting. */
function isTransient(e: unknown): boolean {
  return !(e instanceof HubError) || e.code === 'Unavailable';
}

function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function sourceOf(message: MessageRow): string {
  return `${message.channel}:media`;
}
