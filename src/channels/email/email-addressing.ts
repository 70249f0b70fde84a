import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The addresses and ids the hub puts on its mail so replies find their case again, whatever client the resident
 * answers from: a per-case reply address (reply+<token>@<inbox domain>) and our own Message-IDs.
 *
 * The token is the case id and an HMAC of it keyed with the inbox secret: unguessable (it grants write access to
 * the case), checkable without a lookup, and lower-case hex because some mail systems fold the local part's case.
 */
const TOKEN = /^reply\+([0-9a-f]{32})([0-9a-f]{24})@([^@\s]+)$/i;
const OUR_MESSAGE_ID = /^hub\.([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})@/i;
export const CASE_REFERENCE = /\bC-\d{4}-\d{6}\b/;

export function domainOf(address: string | null | undefined): string {
  const at = (address ?? '').lastIndexOf('@');
  return at < 0 ? 'localhost' : address!.slice(at + 1).toLowerCase();
}

function mac(caseHex: string, secret: string): string {
  return createHmac('sha256', secret).update(`reply:${caseHex}`).digest('hex').slice(0, 24);
}

export function replyAddress(caseId: string, inbox: { address: string | null; secret: string }): string {
  const caseHex = caseId.replace(/-/g, '').toLowerCase();
  return `reply+${caseHex}${mac(caseHex, inbox.secret)}@${domainOf(inbox.address)}`;
}

/** A reply address's parts if the address has that shape (the token is not checked yet). */
export function parseReplyAddress(address: string): { caseHex: string; mac: string; domain: string } | undefined {
  const m = TOKEN.exec(address.trim());
  return m ? { caseHex: m[1].toLowerCase(), mac: m[2].toLowerCase(), domain: m[3].toLowerCase() } : undefined;
}

/** The case id a reply address stands for, if its token was made with this secret. */
export function caseIdFromReplyAddress(address: string, secret: string): string | undefined {
  const parts = parseReplyAddress(address);
  if (!parts) return undefined;
  const expected = Buffer.from(mac(parts.caseHex, secret));
  if (!timingSafeEqual(expected, Buffer.from(parts.mac))) return undefined;
  const h = parts.caseHex;
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** Our Message-ID for an outbound message (without angle brackets): stable, so a retry sends the same id. */
export function outboundMessageId(messageRowId: string, inboxAddress: string | null): string {
  return `hub.${messageRowId}@${domainOf(inboxAddress)}`;
}

/** The hub message row a Message-ID of ours names, if it is one of ours. */
export function messageRowIdOf(messageId: string): string | undefined {
  return OUR_MESSAGE_ID.exec(messageId)?.[1]?.toLowerCase();
}
