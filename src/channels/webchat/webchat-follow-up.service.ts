import { Injectable, Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { CasesService } from '../../cases/cases.service';
import { Channel, MessageDirection } from '../../common/enum';
import { Db } from '../../database/db';
import { InboxesService } from '../../inboxes/inboxes.service';
import { JobContext, JobName, JobOf, PermanentJobError } from '../../jobs/job.types';
import { OnJob } from '../../jobs/on-job.decorator';
import { MessagesService } from '../../messages/messages.service';
import { RealtimeService } from '../../realtime/realtime.service';
import { InboxConfig, OutboundMessage, PermanentDeliveryError } from '../channel-adapter';
import { ChannelRegistry } from '../channel-registry';
import { WebchatReadRepository } from './webchat-read.repository';
import { anonymousAddress } from './webchat-session.service';
import { WEBCHAT_NAMESPACE, WebchatRooms } from './webchat.events';
import { WebchatVisitorRepository } from './webchat-visitor.repository';

const TRANSCRIPT_MAX = 1000;

/**
 * What happens after the chat: a reply the resident has not seen goes by email, the transcript when they end the
 * chat, and abandonment when they left before anyone answered. Emails go through the email channel's adapter
 * (ChannelRegistry), from the email inbox the web chat inbox names (settings.emailInboxId) or the first one with an
 * address; each is also a system line on the case, so the agent knows.
 */
@Injectable()
export class WebchatFollowUp {
  private readonly logger = new Logger('Webchat');

  constructor(
    private readonly db: Db,
    private readonly reads: WebchatReadRepository,
    private readonly visitors: WebchatVisitorRepository,
    private readonly cases: CasesService,
    private readonly messages: MessagesService,
    private readonly inboxes: InboxesService,
    private readonly channels: ChannelRegistry,
    private readonly realtime: RealtimeService,
  ) {}

  @OnJob(JobName.WebchatUnseenReply)
  async handleUnseenReply({ messageId }: JobOf<JobName.WebchatUnseenReply>, ctx: JobContext): Promise<void> {
    const reply = await this.reads.message(messageId);
    const conversation = reply && (await this.visitors.findConversation(reply.case_id));
    if (!reply || !conversation) return;
    if (conversation.resident_seen_at && new Date(conversation.resident_seen_at) >= new Date(reply.created_at)) return;
    const visitor = await this.visitors.find(conversation.visitor_id);
    if (!visitor?.email) return;
    const kase = await this.cases.get(reply.case_id);
    const text = `${reply.author_name ?? 'The council'} replied to your web chat (${kase.reference}):\n\n${reply.text}\n\nYou can answer in the chat on our website, or reply to this email.`;
    const sent = await this.email(kase.inbox_id, { messageId: reply.id, caseId: kase.id, caseReference: kase.reference, to: { address: visitor.email, name: visitor.name }, text, attachments: [], sentAt: new Date() }, ctx);
    if (sent) await this.note(kase.id, `This reply had not been seen in the chat, so it was also emailed to ${visitor.email}.`);
  }

  @OnJob(JobName.WebchatTranscript)
  async handleTranscript({ caseId, visitorId }: JobOf<JobName.WebchatTranscript>, ctx: JobContext): Promise<void> {
    const [visitor, conversation] = await Promise.all([this.visitors.find(visitorId), this.visitors.findConversation(caseId)]);
    if (!visitor?.email || !conversation || conversation.transcript_sent_at) return;
    const kase = await this.cases.get(caseId);
    const lines = (await this.reads.messages(caseId, TRANSCRIPT_MAX)).map((m) => {
      const who = m.direction === 'inbound' ? (visitor.name ?? 'You') : (m.author_name ?? 'The council');
      return `[${new Date(m.created_at).toISOString().slice(0, 16).replace('T', ' ')} UTC] ${who}: ${m.text}`;
    });
    const text = `The transcript of your web chat (${kase.reference}):\n\n${lines.join('\n\n')}\n`;
    const sent = await this.email(kase.inbox_id, { messageId: randomUUID(), caseId, caseReference: kase.reference, to: { address: visitor.email, name: visitor.name }, text, attachments: [], sentAt: new Date() }, ctx);
    if (!sent) return;
    await this.db.transaction(async (tx) => {
      if (!(await this.visitors.markTranscriptSent(tx.manager, caseId))) return;
      await this.messages.addStaffMessage(tx, { caseId, channel: Channel.Webchat, direction: MessageDirection.System, authorAgentId: null, text: `The chat's transcript was emailed to ${visitor.email}.` });
    });
  }

  /** Still no widget open on any process, and still unanswered: the resident gave up waiting. */
  @OnJob(JobName.WebchatAbandonCheck)
  async handleAbandonCheck({ caseId, visitorId }: JobOf<JobName.WebchatAbandonCheck>): Promise<void> {
    const visitor = await this.visitors.find(visitorId);
    const address = visitor?.address ?? anonymousAddress(visitorId);
    if ((await this.realtime.socketsIn(WEBCHAT_NAMESPACE, WebchatRooms.identity(address))).length > 0) return;
    await this.cases.markAbandoned(caseId);
  }

  /** Sends through the email channel; false when there is nothing to send from. Transient failures are retried by the job. */
  private async email(webchatInboxId: string, message: OutboundMessage, ctx: JobContext): Promise<boolean> {
    const from = await this.emailInbox(webchatInboxId);
    if (!from) {
      this.logger.warn(`no email inbox with an address to send web chat mail from (case ${message.caseReference})`);
      return false;
    }
    try {
      await this.channels.get(Channel.Email).send(message, from);
      return true;
    } catch (e) {
      if (e instanceof PermanentDeliveryError || ctx.isFinalAttempt) {
        this.logger.warn(`web chat email for ${message.caseReference} not sent: ${(e as Error).message}`);
        throw new PermanentJobError((e as Error).message);
      }
      throw e;
    }
  }

  private async emailInbox(webchatInboxId: string): Promise<InboxConfig | undefined> {
    const webchat = await this.inboxes.get(webchatInboxId);
    const named = webchat.settings.emailInboxId;
    if (typeof named === 'string') return this.inboxes.get(named).catch(() => undefined);
    return (await this.inboxes.list()).find((i) => i.channel === Channel.Email && i.address);
  }

  private async note(caseId: string, text: string): Promise<void> {
    await this.db.transaction((tx) => this.messages.addStaffMessage(tx, { caseId, channel: Channel.Webchat, direction: MessageDirection.System, authorAgentId: null, text }));
  }
}
