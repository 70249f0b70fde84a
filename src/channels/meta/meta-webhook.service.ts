import { Injectable, Logger } from '@nestjs/common';
import { timingSafeEqual } from 'node:crypto';
import { Channel, MessageDirection } from '../../common/enum';
import { HubError } from '../../common/errors';
import { Env } from '../../config/env';
import { Db } from '../../database/db';
import { DeliveryService } from '../../delivery/delivery.service';
import { MessagesService } from '../../messages/messages.service';
import { InboxesService } from '../../inboxes/inboxes.service';
import { IntakeService } from '../../intake/intake.service';
import { InboxConfig, RawRequest } from '../channel-adapter';
import { ChannelMediaService } from '../media/channel-media.service';
import { GraphClient } from './graph-client';
import { metaItems, verifyMetaRequest } from './meta-page.adapter';
import { MetaItem, OUR_METADATA_PREFIX } from './meta-webhook';
import { MetaRepository } from './meta.repository';

export interface MetaWebhookResult {
  /** Messages newly stored (residents' messages and postbacks, the page's replies sent outside the hub, reactions). */
  stored: number;
  duplicates: number;
  statuses: number;
  /** Entries or events left aside (echoes, unknown inboxes, unsupported kinds, malformed entries): each logged. */
  skipped: number;
}

/**
 * One webhook POST from Meta: checked once with the app secret, then every entry is routed to the inbox its page,
 * Instagram account or WhatsApp number belongs to. Answered only after every message in it is committed. A bad
 * entry is logged and skipped; a storage failure answers 503 so Meta sends the batch again (stored ones dedupe).
 */
@Injectable()
export class MetaWebhookService {
  private readonly logger = new Logger(MetaWebhookService.name);

  constructor(
    private readonly env: Env,
    private readonly graph: GraphClient,
    private readonly inboxes: InboxesService,
    private readonly intake: IntakeService,
    private readonly delivery: DeliveryService,
    private readonly meta: MetaRepository,
    private readonly db: Db,
    private readonly messages: MessagesService,
    private readonly media: ChannelMediaService,
  ) {}

  /** GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=… → the challenge, or Forbidden. */
  handshake(mode: unknown, token: unknown, challenge: unknown): string {
    const expected = this.env.META_VERIFY_TOKEN;
    if (!expected || mode !== 'subscribe' || typeof token !== 'string' || !sameText(token, expected)) {
      throw HubError.forbidden('The verify token does not match');
    }
    if (typeof challenge !== 'string' || !challenge) throw HubError.validation('hub.challenge is required', { field: 'hub.challenge' });
    return challenge;
  }

  async receive(req: RawRequest): Promise<MetaWebhookResult> {
    verifyMetaRequest(req, this.env.META_APP_SECRET);
    const items = metaItems(req, this.graph);
    const result: MetaWebhookResult = { stored: 0, duplicates: 0, statuses: 0, skipped: 0 };
    const inboxes = new Map<string, Promise<InboxConfig | undefined>>();
    const inboxFor = (channel: Channel, address: string) => {
      const key = `${channel}:${address}`;
      if (!inboxes.has(key)) inboxes.set(key, this.inboxes.findByAddress(channel, address));
      return inboxes.get(key)!;
    };
    // Messages together (intake commits them as a group); receipts one by one in the order Meta sent them.
    const messages = Promise.allSettled(items.filter((i) => i.kind === 'message').map((item) => this.handle(item, inboxFor, result)));
    const receipts: PromiseSettledResult<void>[] = [];
    for (const item of items.filter((i) => i.kind !== 'message')) receipts.push(...(await Promise.allSettled([this.handle(item, inboxFor, result)])));
    const outcomes = [...(await messages), ...receipts];
    const failed = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
    for (const f of failed) this.logger.error(`Meta webhook item failed: ${(f.reason as Error)?.stack ?? String(f.reason)}`);
    if (failed.length) throw new HubError('Unavailable', 'Some messages could not be stored; send the batch again');
    return result;
  }

  private async handle(item: MetaItem, inboxFor: (c: Channel, a: string) => Promise<InboxConfig | undefined>, result: MetaWebhookResult): Promise<void> {
    if (item.kind === 'skip') return this.skip(result, item.reason);
    const inbox = await inboxFor(item.channel, item.address);
    if (!inbox) return this.skip(result, `no ${item.channel} inbox has the address ${item.address}`);
    if (item.kind === 'watermark') {
      const ids = await this.meta.providerIdsUpTo(item.channel, inbox.id, item.recipient, item.watermark, item.status);
      for (const id of ids) if (await this.delivery.applyProviderStatus(item.channel, id, item.status, undefined, inbox.id)) result.statuses++;
      return;
    }
    if (item.kind === 'echo') return this.echo(item, inbox, result);
    if (item.kind === 'reaction') return this.reaction(item, inbox, result);
    if (item.kind === 'status') {
      const { providerMessageId, status, reason } = item.update;
      const row = await this.delivery.applyProviderStatus(item.channel, providerMessageId, status, reason, inbox.id);
      if (row) result.statuses++;
      return;
    }
    try {
      const taken = await this.intake.receive({ ...item.message, inboxId: inbox.id }, inbox);
      if (taken.duplicate) result.duplicates++;
      else result.stored++;
      if (item.channel === Channel.Whatsapp && !taken.duplicate) await this.meta.recordWhatsappInbound(taken.messageId);
      await this.media.fetchLater(taken.messageId, item.message.attachments); // downloaded by a job, after Meta's answer
    } catch (e) {
      if (!(e instanceof HubError) || e.code === 'Unavailable') throw e;
      this.skip(result, `${item.channel} message ${item.message.externalMessageId} refused: ${e.message}`);
    }
  }

  /**
   * A message the page sent. Ours (our metadata, our app id, or a reply of ours with that id or being sent now) is
   * already on the case; anything else was written outside the hub (Meta Business Suite, another app) and is stored
   * on the person's open case as an outbound message, already sent, so the case shows the whole conversation.
   */
  private async echo(item: Extract<MetaItem, { kind: 'echo' }>, inbox: InboxConfig, result: MetaWebhookResult): Promise<void> {
    const { echo } = item;
    if (echo.metadata?.startsWith(OUR_METADATA_PREFIX)) return this.skip(result, `echo of our reply ${echo.mid}`);
    if (this.env.META_APP_ID && echo.appId === this.env.META_APP_ID) return this.skip(result, `echo of our reply ${echo.mid} (our app id)`);
    if (await this.meta.isOwnReply(item.channel, inbox.id, item.recipient, echo.mid, echo.text)) return this.skip(result, `echo of our reply ${echo.mid}`);
    const caseId = await this.meta.openCaseOf(item.channel, inbox.id, item.recipient);
    if (!caseId) return this.skip(result, `echo ${echo.mid}: ${item.recipient} has no open case on inbox "${inbox.name}"`);
    const text = echo.text || (echo.attachments.length ? '' : '(a message sent from outside the hub)');
    const row = await this.db.transaction((tx) =>
      this.messages.recordFromChannel(tx, { caseId, channel: item.channel, direction: MessageDirection.Outbound, externalId: echo.mid, text, attachments: echo.attachments, sentAt: echo.sentAt }),
    );
    if (row) result.stored++;
    else result.duplicates++;
  }

  /** A reaction becomes a system message on the case of the message reacted to, so agents see it in the history. */
  private async reaction(item: Extract<MetaItem, { kind: 'reaction' }>, inbox: InboxConfig, result: MetaWebhookResult): Promise<void> {
    const { reaction } = item;
    const target = await this.meta.messageByMid(item.channel, inbox.id, reaction.mid);
    if (!target) return this.skip(result, `reaction to ${reaction.mid}: no such message on inbox "${inbox.name}"`);
    const quoted = target.text.length > 80 ? `${target.text.slice(0, 79)}…` : target.text;
    const text = reaction.action === 'react' ? `The resident reacted ${reaction.emoji || '(a reaction)'} to “${quoted}”` : `The resident removed their reaction to “${quoted}”`;
    const externalId = `reaction:${reaction.mid}:${item.sender}:${reaction.action}:${reaction.at?.getTime() ?? reaction.emoji}`;
    const row = await this.db.transaction((tx) =>
      this.messages.recordFromChannel(tx, { caseId: target.caseId, channel: item.channel, direction: MessageDirection.System, externalId, text, sentAt: reaction.at }),
    );
    if (row) result.stored++;
    else result.duplicates++;
  }

  private skip(result: MetaWebhookResult, reason: string): void {
    result.skipped++;
    this.logger.warn(`Meta webhook: skipped ${reason}`);
  }
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
