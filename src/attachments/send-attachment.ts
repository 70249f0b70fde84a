import type { Response } from 'express';
import type { OpenedAttachment } from './attachment.service';

const INLINE = /^(image\/(png|jpeg|gif|webp)|application\/pdf)$/;

/**
 * Sends stored bytes so a browser can never run them: the sniffed type, nosniff, and a sandbox CSP; only images
 * and PDFs are shown inline, anything else downloads.
 */
export function sendAttachment(res: Response, { attachment, bytes }: OpenedAttachment): void {
  const disposition = INLINE.test(attachment.content_type) ? 'inline' : 'attachment';
  res.setHeader('Content-Type', attachment.content_type);
  res.setHeader('Content-Length', String(bytes.length));
  res.setHeader('Content-Disposition', `${disposition}; filename="${asciiName(attachment.filename)}"; filename*=UTF-8''${rfc5987(attachment.filename)}`);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  res.setHeader('Cache-Control', 'private, max-age=3600');
  res.status(200).end(bytes);
}

/** RFC 5987 ext-value: UTF-8 percent-encoded; encodeURIComponent leaves ' ( ) * and !, of which ' ( ) * are not attr-chars. */
function rfc5987(name: string): string {
  return encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function asciiName(name: string): string {
  return name.replace(/[^\x20-\x7E]/g, '_').replace(/["\\]/g, '_');
}
