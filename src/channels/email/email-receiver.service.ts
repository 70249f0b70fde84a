import { Injectable, Logger } from '@nestjs/common';
import { Channel, DeliveryStatus, MessageDirection } from '../../common/enum';
import { Db } from '../../database/db';
import { DeliveryService } from '../../delivery/delivery.service';
import { InboxesService } from '../../inboxes/inboxes.service';
import { IntakeService } from '../../intake/intake.service';
import { redactCardData } from '../../intake/redaction';
import { MessagesService } from '../../messages/messages.service';
import { Env } from '../../config/env';
import { InboxConfig } from '../channel-adapter';
import { ChannelMediaService } from '../media/channel-media.service';
import { EMAIL_ATTACHMENT_TYPES } from '../media/media-types';
import { caseIdFromReplyAddress, CASE_REFERENCE, domainOf, messageRowIdOf, parseReplyAddress } from './email-addressing';
import { EmailIntake, EmailRefused, MailEnvelope, ParsedEmail } from './email-intake';
import { EmailThreadRepository } from './email-thread.repository';
import { withoutNul } from '../../common/nul';

/** One acknowledgement per sender in this many days (RFC 3834 §2: "not more than once every few days"). */
const ACK_WINDOW_DAYS = 3;

/** What became of one email on one inbox. */
export type EmailReceipt =
  | { inboxId: string; outcome: 'stored'; caseId: string; reference: string; messageId: string; duplicate: boolean }
  | { inboxId: string; outcome: 'bounce'; failedMessages: number }
  | { inboxId: string; outcome: 'auto-reply'; caseId?: string }
  | { inboxId: string; outcome: 'loop' };

/** An inbox an address reaches, and the case if the address is a case's reply address. */
interface Target {
  inbox: InboxConfig;
  caseId?: string;
}

/**
 * Takes an email from any source (SMTP listener, provider webhook, IMAP) onto the hub: parses it once, finds the
 * inbox and the case it threads onto, and hands it to intake. Answers only after intake committed.
 */
@Injectable()
export class EmailReceiver {
  private readonly logger = new Logger(EmailReceiver.name);

  constructor(
    private readonly parser: EmailIntake,
    private readonly inboxes: InboxesService,
    private readonly intake: IntakeService,
    private readonly threads: EmailThreadRepository,
    private readonly messages: MessagesService,
    private readonly delivery: DeliveryService,
    private readonly db: Db,
    private readonly media: ChannelMediaService,
    private readonly env: Env,
  ) {}

  /** For SMTP RCPT TO: the inbox this address reaches, or 550. */
  async accept(address: string): Promise<Target> {
    const target = this.resolve(address, await this.emailInboxes());
    if (!target) throw new EmailRefused(550, '5.1.1', `No such mailbox here: ${address}`);
    return target;
  }

  /** `onlyInboxId`: a webhook authenticated as one inbox delivers to that inbox only. */
  async receive(raw: Buffer, envelope: MailEnvelope, onlyInboxId?: string): Promise<EmailReceipt[]> {
    // Mail is the one channel anyone can write to unsigned: a NUL in a header would fail the thread lookups' statements
    // with a 451, and the sender would retry the same bytes for days (see withoutNul).
    const parsed = withoutNul(await this.parser.parse(raw, envelope));
    const all = await this.emailInboxes();
    const email = { ...parsed, fromOurselves: [parsed.sender.address, parsed.from].some((a) => this.resolve(a, all)) };
    const inboxes = all.filter((i) => !onlyInboxId || i.id === onlyInboxId);
    // The webhook's credentials name the inbox even when the provider rewrote the recipients.
    const targets = this.targets(email, inboxes);
    if (!targets.length && onlyInboxId && inboxes.length) targets.push({ inbox: inboxes[0] });
    if (!targets.length) throw new EmailRefused(550, '5.1.1', 'None of the recipients is a mailbox here');
    const receipts: EmailReceipt[] = [];
    for (const target of targets) receipts.push(await this.receiveOn(email, target));
    return receipts;
  }

  private async receiveOn(email: ParsedEmail & { fromOurselves: boolean }, target: Target): Promise<EmailReceipt> {
    const { inbox } = target;
    if (email.automatic === 'bounce') return this.bounce(email, inbox);
    if (email.fromOurselves) {
      // Mail from one of our own inbox addresses (a forwarding rule pointing back at us, one inbox writing to another):
      // taking it would open cases on our own replies, and answering it could loop.
      this.logger.warn(`mail from our own address ${email.sender.address} on inbox ${inbox.name}: dropped`);
      return { inboxId: inbox.id, outcome: 'loop' };
    }
    const caseId = target.caseId ?? (await this.caseFromHeaders(email, inbox)) ?? (await this.caseFromSubject(email, inbox));
    if (email.automatic === 'auto-reply') return this.autoReply(email, inbox, caseId);
    const result = await this.intake.receive(this.parser.toInbound(email, inbox, { caseId, proven: target.caseId !== undefined }), inbox);
    await this.threads.recordEmail({
      messageId: result.messageId,
      headerMessageId: email.messageId,
      inReplyTo: email.inReplyTo,
      references: email.references,
      html: email.html === undefined ? undefined : redactCardData(email.html).text,
      size: email.size,
    });
    if (!result.duplicate) {
      // The mail is stored: a failed acknowledgement must not make the sender retry it.
      await this.acknowledge(email, inbox, result.caseId, result.reference, result.messageId).catch((e: Error) =>
        this.logger.error(`acknowledgement for case ${result.reference} failed: ${e.message}`),
      );
    }
    // Also for a repeat delivery: what an interrupted first delivery did not store is stored now. A database failure
    // here makes the sender retry (the mail itself dedupes); a refused file is noted on the attachment instead.
    await this.storeAttachments(email, result.messageId);
    return { inboxId: inbox.id, outcome: 'stored', caseId: result.caseId, reference: result.reference, messageId: result.messageId, duplicate: result.duplicate };
  }

  /**
   * Where the inbox enables it (settings.acknowledge), a new case's first mail is answered with its reference, at
   * most once per sender per ACK_WINDOW_DAYS. Auto-replies and bounces never get here. The acknowledgement is an
   * outbound message on the case, delivered (and retried) like any reply; the adapter marks it Auto-Submitted.
   */
  private async acknowledge(email: ParsedEmail, inbox: InboxConfig, caseId: string, reference: string, messageId: string): Promise<void> {
    if (inbox.settings.acknowledge !== true) return;
    if (!(await this.threads.isFirstInbound(caseId, messageId))) return;
    if (await this.threads.acknowledgedSince(email.sender.address, new Date(Date.now() - ACK_WINDOW_DAYS * 86_400_000))) return;
    const text =
      typeof inbox.settings.acknowledgementText === 'string'
        ? inbox.settings.acknowledgementText.replace(/\{reference\}/g, reference)
        : `Thank you for contacting ${inbox.name}. We have received your message and our reference is ${reference}.\n\nPlease keep this reference in the subject if you write to us again about this matter.`;
    await this.db.transaction((tx) =>
      this.messages.addStaffMessage(tx, { caseId, channel: Channel.Email, direction: MessageDirection.Outbound, authorAgentId: null, text }),
    );
  }

  private async storeAttachments(email: ParsedEmail, messageId: string): Promise<void> {
    const items = (email.attachmentBytes ?? []).map((bytes, index) => ({ index, bytes }));
    if (items.length) await this.media.storeBytes(messageId, items, EMAIL_ATTACHMENT_TYPES, this.env.EMAIL_MAX_ATTACHMENT_BYTES);
  }

  /** In-Reply-To first, then References from the newest: a Message-ID we stored (the resident's or ours). */
  private async caseFromHeaders(email: ParsedEmail, inbox: InboxConfig): Promise<string | undefined> {
    const candidates = [...email.inReplyTo, ...[...email.references].reverse()];
    if (!candidates.length) return undefined;
    const rowIds = candidates.map(messageRowIdOf).filter((id): id is string => !!id);
    const found = await this.threads.findCasesByMessageIds(inbox.id, candidates, rowIds);
    for (const id of candidates) {
      const caseId = found.get(id) ?? found.get(messageRowIdOf(id) ?? '');
      if (caseId) return caseId;
    }
    return undefined;
  }

  private async caseFromSubject(email: ParsedEmail, inbox: InboxConfig): Promise<string | undefined> {
    const reference = CASE_REFERENCE.exec(email.subject)?.[0];
    return reference ? this.threads.findCaseByReference(inbox.id, reference, email.sender.address) : undefined;
  }

  /** A bounce of our own mail marks that message failed; nothing is stored and nobody is answered. */
  private async bounce(email: ParsedEmail, inbox: InboxConfig): Promise<EmailReceipt> {
    let failed = 0;
    for (const id of email.bounce?.messageIds ?? []) {
      if (!messageRowIdOf(id)) continue;
      const row = await this.delivery.applyProviderStatus(Channel.Email, id, DeliveryStatus.Failed, email.bounce!.reason, inbox.id);
      if (row) failed++;
    }
    this.logger.log(`bounce on inbox ${inbox.name}: ${failed} outbound message(s) marked failed`);
    return { inboxId: inbox.id, outcome: 'bounce', failedMessages: failed };
  }

  /** An auto-reply never opens a case or reopens one: on a case it threads onto it is noted, otherwise dropped. */
  private async autoReply(email: ParsedEmail, inbox: InboxConfig, caseId: string | undefined): Promise<EmailReceipt> {
    if (!caseId) {
      this.logger.log(`auto-reply from ${email.sender.address} on inbox ${inbox.name} matched no case: dropped`);
      return { inboxId: inbox.id, outcome: 'auto-reply' };
    }
    const text = redactCardData(`Automatic reply from ${email.sender.address}: ${email.subject || '(no subject)'}\n\n${email.text}`.slice(0, 4000)).text;
    await this.db.transaction((tx) => this.messages.addStaffMessage(tx, { caseId, channel: Channel.Email, direction: MessageDirection.System, authorAgentId: null, text }));
    return { inboxId: inbox.id, outcome: 'auto-reply', caseId };
  }

  /** Each inbox once: envelope recipients first (they are what the SMTP client asked for), then the headers. */
  private targets(email: ParsedEmail, inboxes: InboxConfig[]): Target[] {
    const byInbox = new Map<string, Target>();
    for (const address of email.recipients) {
      const target = this.resolve(address, inboxes);
      if (!target) continue;
      const seen = byInbox.get(target.inbox.id);
      if (!seen || (!seen.caseId && target.caseId)) byInbox.set(target.inbox.id, target);
    }
    return [...byInbox.values()];
  }

  /** The inbox's own address, or a reply address whose token that inbox's secret made. */
  private resolve(address: string, inboxes: InboxConfig[]): Target | undefined {
    const lower = address.trim().toLowerCase();
    const own = inboxes.find((i) => i.address?.toLowerCase() === lower);
    if (own) return { inbox: own };
    const reply = parseReplyAddress(lower);
    if (!reply) return undefined;
    for (const inbox of inboxes.filter((i) => domainOf(i.address) === reply.domain)) {
      const caseId = caseIdFromReplyAddress(lower, inbox.secret);
      if (caseId) return { inbox, caseId };
    }
    return undefined;
  }

  private async emailInboxes(): Promise<InboxConfig[]> {
    return (await this.inboxes.list()).filter((i) => i.channel === Channel.Email && i.address);
  }
}
