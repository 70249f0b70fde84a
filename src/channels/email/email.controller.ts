import { Controller, Headers, HttpCode, Post, RawBodyRequest, Req, UseFilters, UseInterceptors } from '@nestjs/common';
import { AnyFilesInterceptor } from '@nestjs/platform-express';
import { ApiBasicAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Request } from 'express';
import { Channel } from '../../common/enum';
import { HubError } from '../../common/errors';
import { Env } from '../../config/env';
import { InboxesService } from '../../inboxes/inboxes.service';
import { bearerToken } from '../../common/bearer';
import { EmailRefused, MailEnvelope } from './email-intake';
import { EmailReceipt, EmailReceiver } from './email-receiver.service';
import { MailgunInbound } from './mailgun-inbound';
import { EmailWebhookRefusalFilter } from './email-webhook-refusals';
import { postmarkToRaw } from './postmark-inbound';
import { isSendgrid, sendgridToRaw } from './sendgrid-inbound';

/**
 * Provider inbound webhooks, told apart by their shape: Postmark JSON and SendGrid Inbound Parse forms (neither
 * signs by default: the webhook URL carries basic-auth credentials whose password is the email inbox's token) and
 * Mailgun route forwards (form fields signed with the account's signing key; the inbox is found by recipient). Answered 200 only after intake committed; a
 * refused mail gets its provider's "do not retry" status (Postmark 403, Mailgun 406, SendGrid 400: see
 * email-webhook-refusals.ts), a bad credential 401, a bad Mailgun signature 403.
 */
@ApiTags('channels')
@Controller('channels/email')
export class EmailChannelController {
  private readonly mailgun: MailgunInbound;
  private readonly maxMessageBytes: number;

  constructor(
    private readonly inboxes: InboxesService,
    private readonly receiver: EmailReceiver,
    env: Env,
  ) {
    this.mailgun = new MailgunInbound(env.MAILGUN_SIGNING_KEY);
    this.maxMessageBytes = env.EMAIL_MAX_MESSAGE_BYTES;
  }

  @Post('inbound')
  @HttpCode(200)
  @ApiBasicAuth()
  @UseInterceptors(AnyFilesInterceptor({ limits: { fileSize: 25 * 1024 * 1024, files: 50, fieldSize: 30 * 1024 * 1024 } }))
  @UseFilters(EmailWebhookRefusalFilter)
  @ApiOperation({ summary: 'Inbound email from Postmark (JSON) or Mailgun (form): the same parser as SMTP mail' })
  @ApiResponse({ status: 200, description: 'Stored (or recognised as an auto-reply or bounce)' })
  @ApiResponse({ status: 401, description: 'Postmark: no or wrong inbox token' })
  @ApiResponse({ status: 403, description: 'Mailgun: bad, stale or replayed signature. Postmark: the mail is refused (do not retry)' })
  @ApiResponse({ status: 406, description: 'Mailgun: the mail is refused (do not retry)' })
  async inbound(@Req() req: RawBodyRequest<Request>, @Headers('authorization') auth: string | undefined): Promise<{ receipts: EmailReceipt[] }> {
    if (req.is('application/json')) {
      const inbox = await this.inboxes.authenticate(basicPassword(auth) ?? bearerToken(auth), Channel.Email);
      const { raw, envelope } = await postmarkToRaw(req.body);
      return this.receive(raw, envelope, inbox.id);
    }
    const fields = (req.body ?? {}) as Record<string, unknown>;
    if (isSendgrid(fields)) {
      const inbox = await this.inboxes.authenticate(basicPassword(auth) ?? bearerToken(auth), Channel.Email);
      const { raw, envelope } = await sendgridToRaw(fields);
      return this.receive(raw, envelope, inbox.id);
    }
    if (!MailgunInbound.looksLike(fields)) throw HubError.validation('Expected Postmark JSON, a SendGrid Inbound Parse post or a signed Mailgun form post');
    this.mailgun.verify(fields);
    const { raw, envelope } = await this.mailgun.toRaw(fields);
    return this.receive(raw, envelope);
  }

  private async receive(raw: Buffer, envelope: MailEnvelope, inboxId?: string): Promise<{ receipts: EmailReceipt[] }> {
    if (raw.length > this.maxMessageBytes) {
      throw new HubError('PayloadTooLarge', `Message too big: ${raw.length} bytes, the limit is ${this.maxMessageBytes}`, { smtpCode: 552 });
    }
    try {
      return { receipts: await this.receiver.receive(raw, envelope, inboxId) };
    } catch (e) {
      if (e instanceof EmailRefused) throw HubError.validation(e.message, { smtpCode: e.smtpCode });
      throw e;
    }
  }
}

function basicPassword(authorization: string | undefined): string | undefined {
  const match = /^Basic\s+(\S+)\s*$/i.exec(authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}
