import { ComposeContext } from './channel-adapter';

/**
 * WhatsApp's customer service window, the same whichever provider carries the message (Twilio or the Meta Cloud
 * API): free text only within 24 hours of the resident's last message; approved templates at any time.
 */
export const WHATSAPP_WINDOW_MS = 24 * 60 * 60 * 1000;

/** `{{reference}}` (spaces allowed inside the braces) is the one placeholder a template's text and values may hold. */
export function fillReference(text: string, reference: string): string {
  return text.replace(/\{\{\s*reference\s*\}\}/g, reference).trim();
}

/** Open until 24 hours after the resident's last message; never opened when they have not written. */
export function whatsappWindow(lastInboundAt: Date | null, now: Date): { open: boolean; closesAt: Date | null } {
  if (!lastInboundAt) return { open: false, closesAt: null };
  const closesAt = new Date(lastInboundAt.getTime() + WHATSAPP_WINDOW_MS);
  return { open: closesAt.getTime() >= now.getTime(), closesAt };
}

/** The refusal agents read, at once in the console and (Twilio) at delivery. */
export function outsideWindowReason(lastInboundAt: Date | null, templateNames: string[]): string {
  const offer = templateNames.length ? `: send one of the approved templates (${templateNames.join(', ')})` : ' (this inbox has no templates configured)';
  return `Outside the 24-hour WhatsApp window (the resident last wrote ${lastInboundAt ? lastInboundAt.toISOString() : 'never'}): only an approved template can be sent until they write again${offer}`;
}

/** The window part of a WhatsApp inbox's compose options; the caller adds its templates. */
export function windowOptions(ctx: ComposeContext): { freeText: boolean; lastInboundAt: Date | null; windowClosesAt: Date | null } {
  const window = whatsappWindow(ctx.to.lastInboundAt, ctx.now);
  return { freeText: window.open, lastInboundAt: ctx.to.lastInboundAt, windowClosesAt: window.closesAt };
}
