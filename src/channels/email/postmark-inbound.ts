import MailComposer from 'nodemailer/lib/mail-composer';
import { HubError } from '../../common/errors';
import { MailEnvelope } from './email-intake';

/** Postmark's inbound webhook JSON (https://postmarkapp.com/developer/webhooks/inbound-webhook); unknown fields are ignored. */
export interface PostmarkInbound {
  MessageID?: string;
  From?: string;
  FromName?: string;
  FromFull?: { Email?: string; Name?: string };
  To?: string;
  ToFull?: Array<{ Email?: string; Name?: string }>;
  Cc?: string;
  CcFull?: Array<{ Email?: string; Name?: string }>;
  OriginalRecipient?: string;
  ReplyTo?: string;
  Subject?: string;
  Date?: string;
  TextBody?: string;
  HtmlBody?: string;
  Headers?: Array<{ Name?: string; Value?: string }>;
  Attachments?: Array<{ Name?: string; Content?: string; ContentType?: string; ContentLength?: number; ContentID?: string }>;
}

/** Headers Postmark repeats as fields, or that the composer writes itself. */
const COMPOSED = new Set(['from', 'to', 'cc', 'bcc', 'reply-to', 'subject', 'date', 'message-id', 'in-reply-to', 'references', 'content-type', 'content-transfer-encoding', 'mime-version']);

/**
 * Rebuilds an RFC 822 message from Postmark's JSON, so it goes through the same EmailIntake as SMTP mail. The
 * Message-ID is the mail's own header (Postmark's MessageID is Postmark's id, not the header: channels.md §3.1),
 * falling back to Postmark's id so its retries still deduplicate.
 */
export async function postmarkToRaw(body: unknown): Promise<{ raw: Buffer; envelope: MailEnvelope }> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw HubError.validation('The body must be a Postmark inbound JSON object');
  const p = body as PostmarkInbound;
  const header = (name: string) => p.Headers?.find((h) => h.Name?.toLowerCase() === name)?.Value;
  const messageId = header('message-id') ?? (p.MessageID ? `<${p.MessageID}@inbound.postmarkapp.com>` : undefined);
  if (!messageId) throw HubError.validation('MessageID: required', { field: 'MessageID' });
  const from = p.FromFull?.Email ? { name: p.FromFull.Name ?? p.FromName ?? '', address: p.FromFull.Email } : p.From;
  const composer = new MailComposer({
    from,
    to: p.To,
    cc: p.Cc,
    replyTo: p.ReplyTo || undefined,
    subject: p.Subject ?? '',
    date: p.Date ? new Date(p.Date) : undefined,
    messageId,
    inReplyTo: header('in-reply-to'),
    references: header('references'),
    text: p.TextBody ?? '',
    html: p.HtmlBody || undefined,
    headers: (p.Headers ?? []).filter((h) => h.Name && h.Value !== undefined && !COMPOSED.has(h.Name.toLowerCase())).map((h) => ({ key: h.Name!, value: h.Value! })),
    attachments: (p.Attachments ?? []).map((a) => ({ filename: a.Name, content: a.Content ?? '', encoding: 'base64', contentType: a.ContentType, cid: a.ContentID || undefined })),
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const raw = await new Promise<Buffer>((resolve, reject) => composer.compile().build((err, out) => (err ? reject(err) : resolve(out))));
  const returnPath = header('return-path');
  const rcptTo = [p.OriginalRecipient, ...(p.ToFull ?? []).map((t) => t.Email), ...(p.CcFull ?? []).map((t) => t.Email)].filter((a): a is string => !!a);
  return { raw, envelope: { mailFrom: returnPath === undefined ? undefined : returnPath.replace(/^<|>$/g, '').trim(), rcptTo } };
}
