/**
 * What the hub keeps of residents' media, by the type sniffed from the bytes (AttachmentService): photos, voice
 * notes and short videos from SMS/MMS, WhatsApp, Messenger and Instagram, documents, contact cards and calendars.
 */
export const CHANNEL_MEDIA_TYPES = [
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'image/heic',
  'image/heif',
  'audio/mpeg',
  'audio/ogg',
  'audio/opus',
  'audio/amr',
  'audio/aac',
  'audio/mp4',
  'audio/x-m4a',
  'video/mp4',
  'video/3gpp',
  'video/quicktime',
  'application/pdf',
  'text/plain',
  'text/csv',
  'text/vcard',
  'text/calendar',
] as const;

/** Email adds office documents (Word, Excel, PowerPoint, OpenDocument, RTF and the old binary formats). */
export const EMAIL_ATTACHMENT_TYPES = [
  ...CHANNEL_MEDIA_TYPES,
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.spreadsheet',
  'application/rtf',
  'application/x-cfb',
] as const;

/** Names some senders use for the text types the store knows by another. */
const ALIASES: Record<string, string> = { 'text/x-vcard': 'text/vcard', 'text/directory': 'text/vcard', 'text/x-vcalendar': 'text/calendar' };

export function declaredTypeOf(contentType: string | undefined): string | undefined {
  const type = contentType?.split(';')[0].trim().toLowerCase();
  return type ? (ALIASES[type] ?? type) : undefined;
}
