import { HubError } from '../../common/errors';

export interface FetchedBytes {
  /** As the provider labelled it; the store sniffs the bytes anyway. */
  contentType: string;
  bytes: Buffer;
}

export interface FetchMediaOptions {
  /** Whether a URL (the first, and every redirect) may be fetched: the provider's own hosts only (SSRF guard). */
  allowed(url: URL): boolean;
  /** Headers for a hop; credentials only on the hops that need them. */
  headers?(url: URL, hop: number): Record<string, string>;
  timeoutMs: number;
  maxBytes: number;
  maxRedirects?: number;
  /** For messages: "Twilio media", "Messenger media"… */
  label: string;
}

/**
 * Downloads a provider's media: each hop checked against the allow-list, redirects followed by hand, the size
 * capped while reading (a lying Content-Length cannot get past it). 404/410 is NotFound (gone: do not retry),
 * other HTTP failures and network trouble Unavailable (retry later).
 */
export async function fetchMedia(url: string, options: FetchMediaOptions): Promise<FetchedBytes> {
  let target = url;
  const maxRedirects = options.maxRedirects ?? 3;
  for (let hop = 0; hop <= maxRedirects; hop++) {
    const parsed = checked(target, options);
    let res: Response;
    try {
      res = await fetch(parsed, { redirect: 'manual', headers: options.headers?.(parsed, hop) ?? {}, signal: AbortSignal.timeout(options.timeoutMs) });
    } catch (e) {
      throw new HubError('Unavailable', `${options.label} could not be fetched: ${(e as Error & { cause?: Error }).cause?.message ?? (e as Error).message}`);
    }
    if (res.status >= 300 && res.status < 400) {
      const location = res.headers.get('location');
      if (!location) throw new HubError('Unavailable', `${options.label} redirect without a Location (HTTP ${res.status})`);
      target = new URL(location, parsed).toString();
      continue;
    }
    if (!res.ok) throw new HubError(res.status === 404 || res.status === 410 ? 'NotFound' : 'Unavailable', `${options.label} answered HTTP ${res.status}`);
    const declared = Number(res.headers.get('content-length') ?? 'NaN');
    if (declared > options.maxBytes) throw new HubError('PayloadTooLarge', `${options.label} is ${declared} bytes, over the ${options.maxBytes} byte limit`);
    const contentType = (res.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    return { contentType, bytes: await readCapped(res, options.maxBytes, options.label) };
  }
  throw new HubError('Unavailable', `${options.label} redirected more than ${maxRedirects} times`);
}

function checked(url: string, options: FetchMediaOptions): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw HubError.validation(`${options.label}: not a URL`);
  }
  if (!options.allowed(parsed)) throw HubError.forbidden(`${options.label} is only fetched from the provider's own hosts, not ${parsed.host}`);
  return parsed;
}

export async function readCapped(res: Response, maxBytes: number, label = 'Media'): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  if (!res.body) return Buffer.alloc(0);
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    size += chunk.byteLength;
    if (size > maxBytes) throw new HubError('PayloadTooLarge', `${label} is over the ${maxBytes} byte limit`);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks);
}

/** Host is the domain or one of its subdomains, over HTTPS; or exactly the configured stand-in's origin (tests). */
export function onHosts(domains: RegExp, standInOrigin?: string): (url: URL) => boolean {
  return (url) => (standInOrigin !== undefined && url.origin === standInOrigin) || (url.protocol === 'https:' && domains.test(url.hostname));
}
