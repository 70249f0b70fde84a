import { Injectable, OnApplicationShutdown } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';
import SMTPTransport from 'nodemailer/lib/smtp-transport';
import { Channel } from '../../common/enum';
import { HubError } from '../../common/errors';
import { ChannelAdapter, InboundMessage, InboxConfig, OutboundMessage, PermanentDeliveryError, TransientDeliveryError } from '../channel-adapter';
import { ChannelAdapterProvider } from '../channel-registry';
import { domainOf, outboundMessageId, replyAddress } from './email-addressing';
import { CaseThread } from './email-thread.repository';
import { escapeHtml } from '../../common/html';

/** What the adapter needs to know of a case's thread; the module gives it the email repository's answer. */
export interface EmailThreadSource {
  threadOf(caseId: string): Promise<CaseThread | undefined>;
  /** An outbound message no agent wrote (an acknowledgement). */
  isAutomatic(messageId: string): Promise<boolean>;
}

export interface EmailAdapterOptions {
  /** The relay for every inbox without settings.smtp (EMAIL_SMTP_URL). */
  relayUrl?: string;
  timeoutMs: number;
}

/** settings.smtp of an email inbox: its own relay. */
interface InboxSmtp {
  host: string;
  port?: number;
  secure?: boolean;
  user?: string;
  pass?: string;
}

/**
 * Email replies through an SMTP relay with nodemailer: From the inbox address, Reply-To the case's reply address,
 * our own stable Message-ID (returned as the provider id, so a bounce can name the message), In-Reply-To and
 * References to the resident's last mail, the case reference in the subject. Inbound email is parsed by
 * EmailIntake (asynchronous, so not through parseInbound) and taken on by EmailReceiver.
 */
@Injectable()
@ChannelAdapterProvider()
export class EmailChannelAdapter implements ChannelAdapter, OnApplicationShutdown {
  readonly channel = Channel.Email;
  readonly sendsAttachments = true;
  private readonly transports = new Map<string, Transporter<SMTPTransport.SentMessageInfo>>();

  constructor(
    private readonly threads: EmailThreadSource,
    private readonly options: EmailAdapterOptions,
  ) {}

  verify(): void {}

  parseInbound(): InboundMessage[] {
    throw new HubError('Unavailable', 'Email is taken through EmailReceiver (SMTP listener, inbound webhook), not parseInbound');
  }

  async send(msg: OutboundMessage, inbox: InboxConfig): Promise<{ providerMessageId: string }> {
    if (!inbox.address) throw new PermanentDeliveryError(`Inbox "${inbox.name}" has no email address to send from`);
    const thread = await this.threads.threadOf(msg.caseId);
    const messageId = outboundMessageId(msg.messageId, inbox.address);
    const references = (thread?.messageIds ?? []).filter((id) => id !== messageId).slice(-20);
    const inReplyTo = thread?.lastInboundMessageId ?? references[references.length - 1];
    // RFC 3834: our automatic mail says so, and asks Exchange not to answer it with an out-of-office.
    const automatic = (await this.threads.isAutomatic(msg.messageId)) ? { 'Auto-Submitted': 'auto-replied', 'X-Auto-Response-Suppress': 'All' } : {};
    try {
      await this.transportFor(inbox).sendMail({
        from: { name: inbox.name, address: inbox.address },
        to: msg.to.name ? { name: msg.to.name, address: msg.to.address } : msg.to.address,
        replyTo: replyAddress(msg.caseId, inbox),
        subject: subjectFor(thread?.subject ?? null, msg.caseReference),
        messageId: `<${messageId}>`,
        inReplyTo: inReplyTo ? `<${inReplyTo}>` : undefined,
        references: references.length ? references.map((id) => `<${id}>`) : undefined,
        date: msg.sentAt,
        text: msg.text,
        html: simpleHtml(msg.text),
        attachments: mailAttachments(msg),
        headers: { 'X-Hub-Case-Reference': msg.caseReference, ...automatic },
      });
    } catch (e) {
      throw deliveryError(e);
    }
    return { providerMessageId: messageId };
  }

  onApplicationShutdown(): void {
    for (const t of this.transports.values()) t.close();
    this.transports.clear();
  }

  private transportFor(inbox: InboxConfig): Transporter<SMTPTransport.SentMessageInfo> {
    const own = inbox.settings.smtp as InboxSmtp | undefined;
    const key = own ? JSON.stringify(own) : this.options.relayUrl;
    if (!key) throw new PermanentDeliveryError(`Inbox "${inbox.name}" has no SMTP relay: set EMAIL_SMTP_URL or the inbox's settings.smtp`);
    let transport = this.transports.get(key);
    if (!transport) {
      const timeouts = { connectionTimeout: this.options.timeoutMs, greetingTimeout: this.options.timeoutMs, socketTimeout: this.options.timeoutMs * 3 };
      transport = own
        ? createTransport({ host: own.host, port: own.port ?? 587, secure: own.secure ?? own.port === 465, auth: own.user ? { user: own.user, pass: own.pass ?? '' } : undefined, name: domainOf(inbox.address), ...timeouts })
        : createTransport({ ...smtpUrlOptions(key), name: domainOf(inbox.address), ...timeouts });
      this.transports.set(key, transport);
    }
    return transport;
  }
}

/** The reply's files as MIME parts; a file without its bytes fails the send for good rather than going missing. */
function mailAttachments(msg: OutboundMessage): Array<{ filename: string; contentType: string; content: Buffer }> | undefined {
  if (!msg.attachments.length) return undefined;
  return msg.attachments.map((a) => {
    if (!a.content) throw new PermanentDeliveryError(`Attachment "${a.filename}" came without its bytes`);
    return { filename: a.filename, contentType: a.contentType, content: a.content };
  });
}

function smtpUrlOptions(url: string): SMTPTransport.Options {
  const u = new URL(url);
  const secure = u.protocol === 'smtps:';
  return {
    host: u.hostname,
    port: u.port ? Number(u.port) : secure ? 465 : 587,
    secure,
    auth: u.username ? { user: decodeURIComponent(u.username), pass: decodeURIComponent(u.password) } : undefined,
  };
}

export function subjectFor(caseSubject: string | null, reference: string): string {
  const base = (caseSubject ?? '').replace(/\s*\[?C-\d{4}-\d{6}\]?\s*/g, ' ').trim() || 'Your enquiry';
  const re = /^(re|aw|sv|antw)\s*:/i.test(base) ? base : `Re: ${base}`;
  return `${re} [${reference}]`;
}

function simpleHtml(text: string): string {
  const paragraphs = text.split(/\n{2,}/).map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`);
  return `<!doctype html><html><body>${paragraphs.join('\n')}</body></html>`;
}

/** SMTP 5xx and refused envelopes cannot succeed on a retry; 4xx and network trouble may. */
function deliveryError(e: unknown): Error {
  if (e instanceof PermanentDeliveryError || e instanceof TransientDeliveryError) return e;
  const err = e as { responseCode?: number; code?: string; message?: string; response?: string };
  const reason = `SMTP relay: ${err.response ?? err.message ?? String(e)}`.slice(0, 500);
  if (typeof err.responseCode === 'number') return err.responseCode >= 500 ? new PermanentDeliveryError(reason) : new TransientDeliveryError(reason);
  if (err.code === 'EENVELOPE' || err.code === 'EMESSAGE') return new PermanentDeliveryError(reason);
  return new TransientDeliveryError(reason);
}
