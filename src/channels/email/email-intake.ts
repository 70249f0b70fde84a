import { createHash } from 'node:crypto';
import { AddressObject, ParsedMail, simpleParser } from 'mailparser';
import { Channel } from '../../common/enum';
import { AttachmentMeta, InboundMessage, InboxConfig } from '../channel-adapter';
import { AutomaticKind, classifyAutomatic } from './email-automatic';
import { sanitiseHtml } from './html-sanitiser';
import { trimReply } from './reply-trimmer';

/** What the transport knew besides the message: the SMTP envelope, or what a webhook or IMAP server reported. */
export interface MailEnvelope {
  /** The envelope sender; '' is the null reverse-path of a bounce; undefined when the source does not say. */
  mailFrom?: string;
  /** Envelope recipients (may differ from To/Cc: Bcc, forwarding). */
  rcptTo: string[];
}

export interface EmailLimits {
  maxAttachments: number;
  maxAttachmentBytes: number;
}

/**
 * A message the hub will not take, with the SMTP reply that says why. Webhooks and IMAP map it to their own
 * answers (4xx, or leaving the mail unseen with a note).
 */
export class EmailRefused extends Error {
  override name = 'EmailRefused';
  constructor(
    readonly smtpCode: number,
    readonly enhancedCode: string,
    message: string,
  ) {
    super(message);
  }

  static malformed(why: string) {
    return new EmailRefused(554, '5.6.0', `Malformed message: ${why}`);
  }
}

/** One email as the hub understands it, independent of how it arrived. */
export interface ParsedEmail {
  /** The Message-ID header without its angle brackets, if it had one. */
  messageId?: string;
  /** Message-ID, or a hash of sender, date, subject and body when it has none: the dedupe key. */
  externalId: string;
  inReplyTo: string[];
  references: string[];
  /** Reply-To if given, else From: where the resident wants answers. */
  sender: { address: string; name?: string };
  /** The From address (the sender may be Reply-To). */
  from: string;
  /** Every address the message was sent to (envelope, To, Cc, Delivered-To), lower-cased. */
  recipients: string[];
  subject: string;
  /** The text shown to agents: quoted earlier mail and signature cut off. */
  text: string;
  /** The whole text body, for audit. */
  textFull: string;
  /** HTML body sanitised (no scripts, remote images or handlers), for audit. */
  html?: string;
  attachments: AttachmentMeta[];
  /** The attachments' bytes, in the same order: stored once the message is committed, never part of intake. */
  attachmentBytes?: Buffer[];
  sentAt?: Date;
  automatic?: AutomaticKind;
  /** For a bounce: the Message-IDs of the returned original (ours, if we sent it) and the reason given. */
  bounce?: { messageIds: string[]; reason: string };
  size: number;
}

export const DEFAULT_LIMITS: EmailLimits = { maxAttachments: 50, maxAttachmentBytes: 10 * 1024 * 1024 };

/**
 * The one email parser (mailparser) behind every way mail comes in: SMTP, provider webhooks and IMAP hand it the
 * raw RFC 822 bytes and the envelope; it answers a ParsedEmail or throws EmailRefused. No database, no network.
 */
export class EmailIntake {
  constructor(private readonly limits: EmailLimits = DEFAULT_LIMITS) {}

  async parse(raw: Buffer, envelope: MailEnvelope): Promise<ParsedEmail> {
    checkStructure(raw);
    let mail: ParsedMail;
    try {
      mail = await simpleParser(raw, { skipImageLinks: true, maxHtmlLengthToParse: 2 * 1024 * 1024 });
    } catch (e) {
      throw EmailRefused.malformed((e as Error).message);
    }
    const header = headerReader(mail);
    const from = firstAddress(mail.from);
    if (!from) throw new EmailRefused(550, '5.1.7', 'The message has no valid From address');
    const sender = firstAddress(mail.replyTo) ?? from;
    const subject = (mail.subject ?? '').trim();
    const textFull = (mail.text ?? '').trim();
    const attachments = this.attachments(mail);
    const messageId = ids(header('message-id'))[0];
    const automatic = classifyAutomatic({ header, fromAddress: from.address, envelopeFrom: envelope.mailFrom, subject, contentType: header('content-type')[0] });
    const { text } = trimReply(textFull);
    return {
      messageId,
      externalId: messageId ?? fallbackId(from.address, header('date')[0], subject, textFull),
      inReplyTo: ids(header('in-reply-to')),
      references: ids(header('references')),
      sender,
      from: from.address,
      recipients: recipientsOf(mail, envelope, header),
      subject,
      text,
      textFull,
      html: typeof mail.html === 'string' ? sanitiseHtml(mail.html) : undefined,
      attachments,
      attachmentBytes: (mail.attachments ?? []).map((a) => a.content),
      sentAt: mail.date && !Number.isNaN(mail.date.getTime()) ? mail.date : undefined,
      automatic,
      bounce: automatic === 'bounce' ? bounceFacts(raw) : undefined,
      size: raw.length,
    };
  }

  /**
   * The normalised record for intake. `caseId` is the case threading found (reply address or headers), if any;
   * `proven` when it came from our signed reply address.
   */
  toInbound(email: ParsedEmail, inbox: InboxConfig, thread: { caseId?: string; proven?: boolean }): InboundMessage {
    return {
      channel: Channel.Email,
      inboxId: inbox.id,
      externalMessageId: email.externalId,
      sender: email.sender,
      recipient: inbox.address ?? undefined,
      text: email.text,
      textFull: email.textFull !== email.text ? email.textFull : undefined,
      subject: email.subject || undefined,
      attachments: email.attachments,
      sentAt: email.sentAt,
      threadKey: thread.caseId,
      caseId: thread.caseId,
      caseProven: thread.proven,
      newThread: !thread.caseId,
    };
  }

  private attachments(mail: ParsedMail): AttachmentMeta[] {
    const list = mail.attachments ?? [];
    if (list.length > this.limits.maxAttachments) throw new EmailRefused(552, '5.3.4', `Too many attachments: at most ${this.limits.maxAttachments}`);
    return list.map((a, i) => {
      if (a.size > this.limits.maxAttachmentBytes) {
        throw new EmailRefused(552, '5.3.4', `Attachment "${a.filename ?? i + 1}" is over the ${this.limits.maxAttachmentBytes} byte limit`);
      }
      const meta: AttachmentMeta = { filename: a.filename ?? `attachment-${i + 1}`, contentType: a.contentType, size: a.size };
      if (a.contentId && a.related) meta.url = `cid:${a.contentId.replace(/^<|>$/g, '')}`; // inline image, referenced from the HTML
      return meta;
    });
  }
}

/** mailparser accepts almost anything; these are the shapes it would silently turn into a wrong message. */
function checkStructure(raw: Buffer): void {
  if (!raw.length) throw EmailRefused.malformed('the message is empty');
  const head = raw.subarray(0, 256 * 1024).toString('latin1');
  const end = head.search(/\r?\n\r?\n/);
  const lines = (end < 0 ? head : head.slice(0, end)).split(/\r?\n/);
  for (const [i, line] of lines.entries()) {
    if (/^[\x21-\x39\x3b-\x7e]+:/.test(line)) continue;
    if (i > 0 && /^[ \t]/.test(line)) continue; // a folded continuation
    throw EmailRefused.malformed(`header line ${i + 1} is not "Name: value"`);
  }
  const contentType = /^content-type:([^\r\n]*(?:\r?\n[ \t][^\r\n]*)*)/im.exec(lines.join('\n'))?.[1] ?? '';
  if (/^\s*multipart\//i.test(contentType)) {
    const boundary = /boundary\s*=\s*(?:"([^"]+)"|([^\s;]+))/i.exec(contentType);
    if (!boundary) throw EmailRefused.malformed('a multipart message without a boundary');
    if (!raw.includes(`--${boundary[1] ?? boundary[2]}`)) throw EmailRefused.malformed('the multipart boundary never occurs in the body');
  }
}

/** Raw header values by lower-cased name, unfolded (mailparser's own map has already interpreted them). */
function headerReader(mail: ParsedMail): (name: string) => string[] {
  const byName = new Map<string, string[]>();
  for (const { key, line } of mail.headerLines ?? []) {
    const value = line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
    byName.set(key.toLowerCase(), [...(byName.get(key.toLowerCase()) ?? []), value]);
  }
  return (name) => byName.get(name) ?? [];
}

function ids(values: string[]): string[] {
  return values.flatMap((v) => [...v.matchAll(/<([^<>\s]+)>/g)].map((m) => m[1]));
}

function addresses(field: AddressObject | AddressObject[] | undefined): Array<{ address: string; name?: string }> {
  const objects = field === undefined ? [] : Array.isArray(field) ? field : [field];
  const out: Array<{ address: string; name?: string }> = [];
  const walk = (list: AddressObject['value']) => {
    for (const a of list) {
      if (a.group) walk(a.group);
      else if (a.address && /^[^\s@]+@[^\s@]+$/.test(a.address)) out.push({ address: a.address.toLowerCase(), name: a.name?.trim() || undefined });
    }
  };
  for (const o of objects) walk(o.value);
  return out;
}

function firstAddress(field: AddressObject | AddressObject[] | undefined) {
  return addresses(field)[0];
}

function recipientsOf(mail: ParsedMail, envelope: MailEnvelope, header: (n: string) => string[]): string[] {
  const all = [
    ...envelope.rcptTo.map((a) => a.toLowerCase()),
    ...addresses(mail.to).map((a) => a.address),
    ...addresses(mail.cc).map((a) => a.address),
    ...header('delivered-to').map((v) => v.replace(/^<|>$/g, '').trim().toLowerCase()),
  ];
  return [...new Set(all.filter(Boolean))];
}

function fallbackId(from: string, date: string | undefined, subject: string, text: string): string {
  return `hash:${createHash('sha256').update([from, date ?? '', subject, text].join('\u0000')).digest('hex').slice(0, 40)}`;
}

/** The returned original's Message-IDs (RFC 3464 puts its headers in a message/rfc822 or text/rfc822-headers part). */
function bounceFacts(raw: Buffer): { messageIds: string[]; reason: string } {
  const text = raw.toString('latin1');
  const body = text.slice(Math.max(0, text.search(/\r?\n\r?\n/)));
  const messageIds = [...body.matchAll(/^(?:Message-ID|In-Reply-To|References):\s*((?:<[^>]+>\s*)+)/gim)].flatMap((m) => ids([m[1]]));
  const diagnostic = /^Diagnostic-Code:\s*(?:smtp;\s*)?([^\r\n]+)/im.exec(body)?.[1];
  const status = /^Status:\s*([245]\.\d+\.\d+)/im.exec(body)?.[1];
  const reason = diagnostic ? diagnostic.trim() : status ? `bounced with status ${status}` : 'bounced';
  return { messageIds: [...new Set(messageIds)], reason: `email bounced: ${reason}`.slice(0, 500) };
}
