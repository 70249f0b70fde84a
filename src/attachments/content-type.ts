import { fromBuffer } from 'file-type';

/** What residents may send: images and PDFs. Channels may pass a wider list (Twilio's audio, email's documents). */
export const RESIDENT_UPLOAD_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf'] as const;

/**
 * What staff may attach to a reply: the residents' types plus common office documents. file-type names the zip-based
 * ones (docx, xlsx, odt, ods) by the entries inside the zip, so a renamed zip is not one of them.
 */
export const STAFF_UPLOAD_TYPES = [
  ...RESIDENT_UPLOAD_TYPES,
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
] as const;

/** Types that have no magic number: accepted only when the bytes are valid UTF-8 text without control bytes. */
const TEXT_TYPES = new Set(['text/plain', 'text/csv', 'text/calendar', 'text/vcard']);

/**
 * The type of a file from its bytes, never from its name or the sender's claim: a `.png` that is really an
 * executable is an `application/x-msdownload`. Text formats have no signature, so the declared one is believed
 * only for bytes that are plain text.
 */
export async function sniffContentType(bytes: Buffer, declaredType?: string): Promise<string | undefined> {
  const found = await fromBuffer(bytes);
  if (found) return found.mime;
  const declared = declaredType?.split(';')[0].trim().toLowerCase();
  if (declared && TEXT_TYPES.has(declared) && isPlainText(bytes)) return declared;
  return undefined;
}

function isPlainText(bytes: Buffer): boolean {
  const text = bytes.toString('utf8');
  if (Buffer.byteLength(text, 'utf8') !== bytes.length || text.includes('\uFFFD')) return false;
  // Tab, line feed and carriage return are the only control characters plain text has.
  return !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(text);
}
