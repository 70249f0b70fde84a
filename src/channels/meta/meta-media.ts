import { HubError } from '../../common/errors';
import { FetchedBytes, fetchMedia, onHosts } from '../media/fetch-media';

/** Meta's own hosts: the Graph API, its CDNs and lookaside (WhatsApp media). Anything else is refused. */
const META_HOSTS = /(^|\.)(facebook\.com|fbcdn\.net|fbsbx\.com|cdninstagram\.com|instagram\.com|whatsapp\.net)$/i;

export interface MetaMediaOptions {
  /** META_GRAPH_API_URL: a stand-in there (tests) is allowed besides Meta's hosts. */
  graphBaseUrl: string;
  timeoutMs: number;
  maxBytes: number;
}

function allowed(options: MetaMediaOptions): (url: URL) => boolean {
  const graph = new URL(options.graphBaseUrl);
  return onHosts(META_HOSTS, graph.hostname === 'graph.facebook.com' ? undefined : graph.origin);
}

/**
 * WhatsApp Cloud media: the message names a media id (stored as its Graph URL); GET it with the inbox's token for
 * a short-lived download URL, then GET that with the same token. Both on Meta's hosts only.
 */
export async function fetchWhatsappCloudMedia(graphMediaUrl: string, accessToken: string, options: MetaMediaOptions): Promise<FetchedBytes> {
  const auth = { authorization: `Bearer ${accessToken}` };
  const described = await fetchMedia(graphMediaUrl, { allowed: allowed(options), headers: () => auth, timeoutMs: options.timeoutMs, maxBytes: 64 * 1024, label: 'WhatsApp media description' });
  let info: { url?: unknown; mime_type?: unknown };
  try {
    info = JSON.parse(described.bytes.toString('utf8')) as typeof info;
  } catch {
    throw new HubError('Unavailable', 'WhatsApp media description is not JSON');
  }
  if (typeof info.url !== 'string') throw new HubError('NotFound', 'WhatsApp media description has no url (the media may have expired)');
  const file = await fetchMedia(info.url, { allowed: allowed(options), headers: () => auth, timeoutMs: options.timeoutMs, maxBytes: options.maxBytes, label: 'WhatsApp media' });
  return { bytes: file.bytes, contentType: typeof info.mime_type === 'string' ? info.mime_type : file.contentType };
}

/** Messenger and Instagram attachments: a CDN URL in the webhook, fetched without credentials, Meta's hosts only. */
export function fetchPageMedia(url: string, options: MetaMediaOptions): Promise<FetchedBytes> {
  return fetchMedia(url, { allowed: allowed(options), timeoutMs: options.timeoutMs, maxBytes: options.maxBytes, label: 'Messenger/Instagram media' });
}
