import twilio from 'twilio';
import type RequestClient from 'twilio/lib/base/RequestClient';
import { PermanentDeliveryError, TransientDeliveryError } from '../channel-adapter';
import { describeTwilioError } from './twilio-params';

/** Where the SDK's requests go instead of https://*.twilio.com (a local stand-in of Twilio's API in tests). */
export class RedirectingRequestClient extends twilio.RequestClient {
  constructor(
    private readonly apiBaseUrl: string,
    opts: ConstructorParameters<typeof twilio.RequestClient>[0] = {},
  ) {
    super(opts);
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    return super.request<TData>({ ...opts, uri: opts.uri.replace(/^https:\/\/[a-z0-9.-]*twilio\.com/i, this.apiBaseUrl.replace(/\/$/, '')) });
  }
}

export interface TwilioClientOptions {
  /** Empty: Twilio itself. */
  apiBaseUrl?: string;
  timeoutMs: number;
}

export function createTwilioClient(accountSid: string, authToken: string, options: TwilioClientOptions): twilio.Twilio {
  const httpClient = options.apiBaseUrl ? new RedirectingRequestClient(options.apiBaseUrl, { timeout: options.timeoutMs }) : new twilio.RequestClient({ timeout: options.timeoutMs });
  return twilio(accountSid, authToken, { httpClient, accountSid });
}

/**
 * The SDK's failure → our delivery error. Only what a later attempt can fix is transient: the network, 429/20429
 * and Twilio's own 5xx. Everything Twilio refused with a 4xx (an opt-out, a bad number, outside the WhatsApp
 * window, bad credentials) fails at once with a reason staff can read.
 */
export function toDeliveryError(e: unknown): Error {
  const err = e as { status?: unknown; code?: unknown; message?: unknown };
  const status = typeof err?.status === 'number' ? err.status : undefined;
  if (status === undefined) return new TransientDeliveryError(`Twilio unreachable: ${String(err?.message ?? e)}`);
  const code = typeof err.code === 'number' ? err.code : undefined;
  const reason = describeTwilioError(code) ?? `Twilio refused the message: ${String(err.message ?? '')}${code ? ` (Twilio ${code})` : ''} [HTTP ${status}]`;
  if (status === 429 || code === 20429 || status >= 500) return new TransientDeliveryError(describeTwilioError(code) ?? `Twilio answered HTTP ${status}`);
  return new PermanentDeliveryError(reason);
}
