import { createHmac, timingSafeEqual } from 'node:crypto';

export const META_SIGNATURE_HEADER = 'x-hub-signature-256';

/** `sha256=<hex HMAC-SHA256(app secret, raw body)>`, as Meta sends it in X-Hub-Signature-256 (channels.md §4.1). */
export function metaSignature(appSecret: string, rawBody: Buffer | string): string {
  return `sha256=${createHmac('sha256', appSecret).update(rawBody).digest('hex')}`;
}

/** Constant-time check of the header against the raw bytes Meta sent; never against re-serialised JSON. */
export function isValidMetaSignature(appSecret: string, rawBody: Buffer, header: string | string[] | undefined): boolean {
  const given = Buffer.from(String(Array.isArray(header) ? header[0] : (header ?? '')).trim());
  const expected = Buffer.from(metaSignature(appSecret, rawBody));
  return given.length === expected.length && timingSafeEqual(given, expected);
}
