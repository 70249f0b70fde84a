import { HubError } from '../../common/errors';
import { readCapped } from '../media/fetch-media';

/** Twilio's own hosts: media URLs are on api.twilio.com and redirect to its CDN. Anything else is refused (SSRF). */
const TWILIO_HOST = /(^|\.)(twilio\.com|twiliocdn\.com)$/i;
/** MMS is limited to 5 MB by Twilio; WhatsApp media to 16 MB. */
export const MEDIA_MAX_BYTES = 16 * 1024 * 1024;
export const MEDIA_TYPES = /^(image\/(jpeg|png|gif|webp|heic)|audio\/(mpeg|ogg|amr|mp4|aac)|video\/(mp4|3gpp)|application\/pdf|text\/(plain|vcard|x-vcard|calendar)|text\/csv)$/i;
const MAX_REDIRECTS = 3;

export interface MediaFetchOptions {
  accountSid: string;
  authToken: string;
  /** A stand-in of Twilio's API: https://api.twilio.com is rewritten to it, and its host is allowed. */
  apiBaseUrl?: string;
  timeoutMs: number;
  maxBytes?: number;
}

export interface FetchedMedia {
  contentType: string;
  bytes: Buffer;
}

/**
 * Downloads one media item of an inbound MMS or WhatsApp message with the account's credentials: only from
 * Twilio's hosts (each redirect checked again; credentials only ever sent to Twilio's API host), with a size
 * limit enforced while reading and a content-type allow-list.
 */
export async function fetchTwilioMedia(url: string, options: MediaFetchOptions): Promise<FetchedMedia> {
  const standIn = options.apiBaseUrl ? new URL(options.apiBaseUrl) : undefined;
  let target = rewrite(url, options.apiBaseUrl);
  const maxBytes = options.maxBytes ?? MEDIA_MAX_BYTES;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const parsed = allowed(target, standIn);
    const withAuth = hop === 0;
    const res = await fetch(parsed, {
      redirect: 'manual',
      headers: withAuth ? { authorization: `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}` } : {},
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location');
      if (!location) throw new HubError('Unavailable', `Twilio media redirect without a Location (HTTP ${res.status})`);
      target = new URL(location, parsed).toString();
      continue;
    }
    if (!res.ok) throw new HubError(res.status === 404 ? 'NotFound' : 'Unavailable', `Twilio media answered HTTP ${res.status}`);
    const contentType = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (!MEDIA_TYPES.test(contentType)) throw HubError.validation(`Media of type ${contentType || 'unknown'} is not accepted`);
    const declared = Number(res.headers.get('content-length') ?? 'NaN');
    if (declared > maxBytes) throw new HubError('PayloadTooLarge', `Media is ${declared} bytes, over the ${maxBytes} byte limit`);
    return { contentType, bytes: await readCapped(res, maxBytes, 'Twilio media') };
  }
  throw new HubError('Unavailable', `Twilio media redirected more than ${MAX_REDIRECTS} times`);
}

function rewrite(url: string, apiBaseUrl: string | undefined): string {
  return apiBaseUrl ? url.replace(/^https:\/\/api\.twilio\.com/i, apiBaseUrl.replace(/\/$/, '')) : url;
}

function allowed(url: string, standIn: URL | undefined): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw HubError.validation('Media URL is not a URL');
  }
  const isStandIn = standIn !== undefined && parsed.origin === standIn.origin;
  if (!isStandIn && (parsed.protocol !== 'https:' || !TWILIO_HOST.test(parsed.hostname))) {
    throw HubError.forbidden(`Media is only fetched from Twilio's hosts, not ${parsed.host}`);
  }
  return parsed;
}
