import { Injectable } from '@nestjs/common';
import { createHmac } from 'node:crypto';
import { Channel, DeliveryStatus } from '../../common/enum';
import { HubError } from '../../common/errors';
import { validateDto } from '../../common/validate';
import {
  ChannelAdapter,
  DeliveryStatusUpdate,
  InboundMessage,
  InboxConfig,
  OutboundMessage,
  PermanentDeliveryError,
  RawRequest,
  TransientDeliveryError,
} from '../channel-adapter';
import { ChannelAdapterProvider } from '../channel-registry';
import { ApiInboundMessageDto, ApiStatus, ApiStatusDto } from './api-message.dto';

const API_STATUS: Record<ApiStatus, DeliveryStatus> = {
  delivered: DeliveryStatus.Delivered,
  read: DeliveryStatus.Read,
  failed: DeliveryStatus.Failed,
};

export const SIGNATURE_HEADER = 'X-Hub-Signature-256';

export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

export interface ApiAdapterOptions {
  timeoutMs: number;
}

/**
 * The generic API channel: any system posts residents' messages as JSON with the inbox's bearer token, and
 * receives replies as JSON POSTs to the inbox's callback URL, signed with the inbox secret.
 */
@Injectable()
@ChannelAdapterProvider()
export class ApiChannelAdapter implements ChannelAdapter {
  readonly channel = Channel.Api;

  constructor(private readonly options: ApiAdapterOptions = { timeoutMs: 10_000 }) {}

  /** The bearer token already identified the inbox; there is no separate signature on inbound posts. */
  verify(): void {}

  parseInbound(req: RawRequest, inbox: InboxConfig): InboundMessage[] {
    const dto = validateDto(ApiInboundMessageDto, req.body);
    if (!dto.text.trim() && !dto.attachments?.length) throw HubError.validation('text: must not be empty unless there are attachments', { field: 'text' });
    return [
      {
        channel: Channel.Api,
        inboxId: inbox.id,
        externalMessageId: dto.externalId,
        sender: { address: dto.from.address.trim(), name: dto.from.name?.trim() || undefined },
        text: dto.text.trim(),
        attachments: dto.attachments ?? [],
        sentAt: dto.sentAt ? new Date(dto.sentAt) : undefined,
      },
    ];
  }

  /** The receiving system reports what became of a reply, naming it by the id it answered with. */
  parseStatus(req: RawRequest): DeliveryStatusUpdate[] {
    const dto = validateDto(ApiStatusDto, req.body);
    const providerMessageId = dto.providerMessageId.trim();
    if (!providerMessageId) throw HubError.validation('providerMessageId: must not be blank', { field: 'providerMessageId' });
    const status = API_STATUS[dto.status];
    const reason = dto.reason?.trim() || (status === DeliveryStatus.Failed ? 'reported as failed by the receiving system' : undefined);
    return [{ providerMessageId, status, reason }];
  }

  async send(msg: OutboundMessage, inbox: InboxConfig): Promise<{ providerMessageId: string }> {
    const url = inbox.settings.callbackUrl;
    if (typeof url !== 'string' || !url) throw new PermanentDeliveryError(`Inbox "${inbox.name}" has no callback URL to deliver replies to`);
    const body = JSON.stringify({
      messageId: msg.messageId,
      caseId: msg.caseId,
      reference: msg.caseReference,
      to: msg.to,
      text: msg.text,
      attachments: msg.attachments,
      sentAt: msg.sentAt.toISOString(),
    });
    const res = await this.post(url, body, inbox.secret);
    if (res.ok) return { providerMessageId: await providerId(res, msg.messageId) };
    const reason = `callback answered ${res.status} ${res.statusText}`.trim();
    if (res.status === 408 || res.status === 429 || res.status >= 500) throw new TransientDeliveryError(reason, retryAfterMs(res));
    throw new PermanentDeliveryError(reason);
  }

  private async post(url: string, body: string, secret: string): Promise<Response> {
    try {
      return await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signBody(secret, body), 'user-agent': 'contact-hub' },
        body,
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
    } catch (e) {
      throw new TransientDeliveryError(`callback unreachable: ${(e as Error).cause ? String((e as Error & { cause: Error }).cause.message) : (e as Error).message}`);
    }
  }
}

/** The receiver may answer with its own id for the message; otherwise ours stands for it. */
async function providerId(res: Response, messageId: string): Promise<string> {
  try {
    const json = (await res.json()) as { id?: unknown };
    if (typeof json?.id === 'string' && json.id) return json.id;
  } catch {
    /* an empty or non-JSON answer is fine */
  }
  return `api:${messageId}`;
}

function retryAfterMs(res: Response): number | undefined {
  const value = res.headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? seconds * 1000 : Math.max(0, Date.parse(value) - Date.now());
}
