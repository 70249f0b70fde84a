import { createHmac, timingSafeEqual } from 'node:crypto';
import MailComposer from 'nodemailer/lib/mail-composer';
import { HubError } from '../../common/errors';
import { MailEnvelope } from './email-intake';

/** Mailgun signs `timestamp + token` with the account's webhook signing key; older than this is a replay. */
const MAX_AGE_SECONDS = 5 * 60;

/**
 * Mailgun's inbound route forward (form fields, urlencoded or multipart): checks the signature, then rebuilds the
 * raw message (`body-mime` when the route URL ends in "mime", else composed from `message-headers` and the bodies)
 * for the same EmailIntake as SMTP mail.
 */
export class MailgunInbound {
  private readonly seenTokens = new Map<string, number>();

  constructor(private readonly signingKey: string | undefined) {}

  static looksLike(body: unknown): boolean {
    return !!body && typeof body === 'object' && 'signature' in body && 'token' in body && 'timestamp' in body;
  }

  verify(fields: Record<string, unknown>, now = Date.now()): void {
    if (!this.signingKey) throw new HubError('SignatureInvalid', 'Mailgun webhooks are not configured: set MAILGUN_SIGNING_KEY');
    const [timestamp, token, signature] = [fields.timestamp, fields.token, fields.signature].map((v) => (typeof v === 'string' ? v : ''));
    const expected = createHmac('sha256', this.signingKey).update(timestamp + token).digest('hex');
    const given = Buffer.from(signature);
    if (given.length !== expected.length || !timingSafeEqual(given, Buffer.from(expected))) throw new HubError('SignatureInvalid', 'Mailgun signature does not match');
    if (!/^\d+$/.test(timestamp) || Math.abs(now / 1000 - Number(timestamp)) > MAX_AGE_SECONDS) throw new HubError('SignatureInvalid', 'Mailgun timestamp is stale');
    for (const [t, at] of this.seenTokens) if (at < now - 2 * MAX_AGE_SECONDS * 1000) this.seenTokens.delete(t);
    if (this.seenTokens.has(token)) throw new HubError('SignatureInvalid', 'Mailgun token was already used');
    this.seenTokens.set(token, now);
  }

  async toRaw(fields: Record<string, unknown>): Promise<{ raw: Buffer; envelope: MailEnvelope }> {
    const text = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : undefined);
    const envelope: MailEnvelope = { mailFrom: text('sender'), rcptTo: (text('recipient') ?? '').split(',').map((a) => a.trim()).filter(Boolean) };
    const mime = text('body-mime');
    if (mime) return { raw: Buffer.from(mime, 'utf8'), envelope };
    let headers: Array<[string, string]> = [];
    try {
      headers = JSON.parse(text('message-headers') ?? '[]') as Array<[string, string]>;
    } catch {
      throw HubError.validation('message-headers: not a JSON list', { field: 'message-headers' });
    }
    const skip = new Set(['content-type', 'content-transfer-encoding', 'mime-version']);
    const composer = new MailComposer({
      text: text('body-plain') ?? '',
      html: text('body-html'),
      headers: headers.filter(([name]) => !skip.has(name.toLowerCase())).map(([key, value]) => ({ key, value })),
      disableFileAccess: true,
      disableUrlAccess: true,
    });
    const raw = await new Promise<Buffer>((resolve, reject) => composer.compile().build((err, out) => (err ? reject(err) : resolve(out))));
    return { raw, envelope };
  }
}
