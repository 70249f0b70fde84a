/**
 * Mail no person wrote: auto-replies (RFC 3834 and the vendors' own markers, out-of-office subjects) and bounces
 * (RFC 3464 delivery status reports, MAILER-DAEMON). Neither opens a case nor gets an acknowledgement.
 */
export type AutomaticKind = 'auto-reply' | 'bounce';

export interface AutomaticFacts {
  /** Lower-cased header name → its raw values. */
  header(name: string): string[];
  fromAddress?: string;
  /** The SMTP envelope sender: '' for a bounce (RFC 5321 null reverse-path); undefined when unknown (a webhook). */
  envelopeFrom?: string;
  subject?: string;
  contentType?: string;
}

/**
 * Subjects auto-responders write: the marker, then a colon (before the original subject) or nothing. Kept narrow, so
 * a resident's own subject ("Out of office hours noise", "Absence of bin collection") never matches.
 */
const OUT_OF_OFFICE = /^\s*(auto(matic)?[ -]?(reply|response)|out of (the )?office|ooo|away from (the )?office|abwesenheitsnotiz|r[ée]ponse automatique)\s*(:|$)/i;
const BOUNCE_SENDER = /^(mailer-daemon|postmaster)@/i;

export function classifyAutomatic(facts: AutomaticFacts): AutomaticKind | undefined {
  if (isBounce(facts)) return 'bounce';
  if (isAutoReply(facts)) return 'auto-reply';
  return undefined;
}

function isBounce(f: AutomaticFacts): boolean {
  if (f.envelopeFrom === '') return true;
  if (f.header('return-path').some((v) => /^\s*<\s*>\s*$/.test(v))) return true;
  if (f.fromAddress && BOUNCE_SENDER.test(f.fromAddress)) return true;
  if (f.header('x-failed-recipients').length) return true;
  return /^multipart\/report\b/i.test(f.contentType ?? '') && /report-type\s*=\s*"?delivery-status/i.test(f.contentType ?? '');
}

function isAutoReply(f: AutomaticFacts): boolean {
  if (f.header('auto-submitted').some((v) => v.trim().toLowerCase().split(';')[0].trim() !== 'no')) return true;
  if (f.header('x-autoreply').some((v) => /^\s*yes\b/i.test(v)) || f.header('x-autorespond').length) return true;
  if (f.header('precedence').some((v) => /^\s*(bulk|junk|list|auto_reply)\b/i.test(v))) return true;
  if (f.header('list-id').length || f.header('list-unsubscribe').length) return true;
  return OUT_OF_OFFICE.test(f.subject ?? '');
}
