import MailComposer from 'nodemailer/lib/mail-composer';
import { HubError } from '../../common/errors';
import { MailEnvelope } from './email-intake';

const SKIP = new Set(['content-type', 'content-transfer-encoding', 'mime-version']);

/**
 * SendGrid Inbound Parse (multipart form). With "POST the raw, full MIME message" on, `email` holds the message
 * as sent; otherwise it is recomposed from `headers` (the raw header block), `text` and `html`. `envelope` is JSON
 * `{ to: [...], from }`. SendGrid signs nothing by default: its URL carries the inbox token as basic-auth password.
 */
export function isSendgrid(body: unknown): body is Record<string, unknown> {
  return !!body && typeof body === 'object' && 'envelope' in body && ('email' in body || 'headers' in body);
}

export async function sendgridToRaw(fields: Record<string, unknown>): Promise<{ raw: Buffer; envelope: MailEnvelope }> {
  const text = (name: string) => (typeof fields[name] === 'string' ? (fields[name] as string) : undefined);
  let parsed: { to?: unknown; from?: unknown };
  try {
    parsed = JSON.parse(text('envelope') ?? '{}') as { to?: unknown; from?: unknown };
  } catch {
    throw HubError.validation('envelope: not JSON', { field: 'envelope' });
  }
  const envelope: MailEnvelope = {
    mailFrom: typeof parsed.from === 'string' ? parsed.from : undefined,
    rcptTo: Array.isArray(parsed.to) ? parsed.to.filter((a): a is string => typeof a === 'string') : [],
  };
  const email = text('email');
  if (email) return { raw: Buffer.from(email, 'utf8'), envelope };
  const headers = (text('headers') ?? '')
    .replace(/\r?\n[ \t]+/g, ' ')
    .split(/\r?\n/)
    .map((line) => /^([^:\s]+):\s*(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null && !SKIP.has(m[1].toLowerCase()))
    .map((m) => ({ key: m[1], value: m[2] }));
  const composer = new MailComposer({ text: text('text') ?? '', html: text('html'), headers, disableFileAccess: true, disableUrlAccess: true });
  const raw = await new Promise<Buffer>((resolve, reject) => composer.compile().build((err, out) => (err ? reject(err) : resolve(out))));
  return { raw, envelope };
}
