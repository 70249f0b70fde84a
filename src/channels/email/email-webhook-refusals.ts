import { ArgumentsHost, Catch, ExceptionFilter } from '@nestjs/common';
import { Request, Response } from 'express';
import { HubError } from '../../common/errors';
import { HttpExceptionFilter } from '../../common/http-exception.filter';
import { RouteBodyLimit } from '../../common/body-parsers';
import { Env } from '../../config/env';
import { MailgunInbound } from './mailgun-inbound';
import { isSendgrid } from './sendgrid-inbound';

export const EMAIL_INBOUND_PATH = '/channels/email/inbound';

/**
 * The inbound webhook's own body limit. Postmark posts the whole mail as JSON, attachments in base64 (4/3 of their
 * size) with the text and HTML bodies beside them: one and a half times the largest mail taken, plus 1 MiB for
 * the rest, is room for any mail EMAIL_MAX_MESSAGE_BYTES allows (38.5 MiB with the default 25 MiB, above Postmark's
 * own 35 MB ceiling). Everything else keeps the global 1 MiB.
 */
export function emailWebhookBodyLimit(env: Pick<Env, 'EMAIL_MAX_MESSAGE_BYTES'>): RouteBodyLimit {
  return { path: EMAIL_INBOUND_PATH, limitBytes: Math.ceil(env.EMAIL_MAX_MESSAGE_BYTES * 1.5) + 1024 * 1024 };
}

export type EmailProvider = 'postmark' | 'mailgun' | 'sendgrid';

/**
 * The status that tells each provider not to send a refused mail again. Postmark retries every answer but 403;
 * Mailgun retries every answer but 406; SendGrid Inbound Parse has no such answer (it retries non-2xx for up to
 * three days), so it gets the plain 400.
 */
export const NO_RETRY_STATUS: Record<EmailProvider, number> = { postmark: 403, mailgun: 406, sendgrid: 400 };

export function emailProviderOf(req: Request): EmailProvider | undefined {
  if (req.is('application/json')) return 'postmark';
  const fields = (req.body ?? {}) as Record<string, unknown>;
  if (isSendgrid(fields)) return 'sendgrid';
  if (MailgunInbound.looksLike(fields)) return 'mailgun';
  return undefined;
}

/** Refusals of the mail itself: sending it again cannot help. Credentials and signatures are not among them. */
const PERMANENT = new Set(['Validation', 'PayloadTooLarge', 'UnsupportedType']);

/**
 * Answers a refused mail with its provider's "do not retry" status, in the hub's usual error body (the code says
 * what was wrong; details.retry is false). Anything else (401, 403 signature, 503) is answered as everywhere else.
 */
@Catch(HubError)
export class EmailWebhookRefusalFilter implements ExceptionFilter {
  private readonly fallback = new HttpExceptionFilter();

  catch(e: HubError, host: ArgumentsHost): void {
    const req = host.switchToHttp().getRequest<Request>();
    const res = host.switchToHttp().getResponse<Response>();
    const provider = emailProviderOf(req);
    if (!provider || !PERMANENT.has(e.code) || res.headersSent) return this.fallback.catch(e, host);
    const status = NO_RETRY_STATUS[provider];
    res.status(status).json({ statusCode: status, error: { code: e.code, message: e.message, details: { ...e.details, provider, retry: false } } });
  }
}
