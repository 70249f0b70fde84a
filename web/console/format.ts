import { TagColour } from './govuk';
import { CaseStatus, Channel, DeliveryStatus, Presence, Priority } from './protocol';

/** Words shown for the hub's values: always text, colour only repeats what the words say. */

export const CHANNEL_LABEL: Record<Channel, string> = {
  webchat: 'Web chat',
  sms: 'SMS',
  whatsapp: 'WhatsApp',
  email: 'Email',
  messenger: 'Messenger',
  instagram: 'Instagram',
  slack: 'Slack',
  api: 'API',
};

export const STATUS_LABEL: Record<CaseStatus, string> = { new: 'New', open: 'Open', pending: 'Pending', resolved: 'Resolved', closed: 'Closed' };
export const STATUS_COLOUR: Record<CaseStatus, TagColour> = { new: 'blue', open: 'teal', pending: 'yellow', resolved: 'green', closed: 'grey' };

export const PRIORITY_LABEL: Record<Priority, string> = { low: 'Low', normal: 'Normal', high: 'High', urgent: 'Urgent' };
export const PRIORITY_COLOUR: Record<Priority, TagColour> = { low: 'grey', normal: 'blue', high: 'orange', urgent: 'red' };
export const PRIORITY_RANK: Record<Priority, number> = { low: 0, normal: 1, high: 2, urgent: 3 };

export const DELIVERY_LABEL: Record<DeliveryStatus, string> = { queued: 'Queued', sent: 'Sent', delivered: 'Delivered', read: 'Read', failed: 'Failed' };
export const DELIVERY_COLOUR: Record<DeliveryStatus, TagColour> = { queued: 'grey', sent: 'blue', delivered: 'green', read: 'turquoise', failed: 'red' };
const DELIVERY_RANK: Record<DeliveryStatus, number> = { queued: 0, sent: 1, delivered: 2, read: 3, failed: 4 };

export const PRESENCE_LABEL: Record<Presence, string> = { available: 'Available', busy: 'Busy', away: 'Away', offline: 'Offline' };

export const channelLabel = (c: string): string => CHANNEL_LABEL[c as Channel] ?? c;
export const statusLabel = (s: string): string => STATUS_LABEL[s as CaseStatus] ?? s;
export const deliveryLabel = (s: string): string => DELIVERY_LABEL[s as DeliveryStatus] ?? s;

/**
 * Delivery status only moves forward (queued → sent → delivered → read, or failed); a retry is the one way back,
 * from failed to queued. Late or repeated reports are dropped.
 */
export function deliveryMovesForward(from: DeliveryStatus | null, to: DeliveryStatus): boolean {
  if (!from) return true;
  if (from === 'failed') return to === 'queued' || to === 'sent' || to === 'delivered' || to === 'read';
  return DELIVERY_RANK[to] > DELIVERY_RANK[from];
}

/** "45 seconds", "12 min 05 s", "2 h 14 min", "3 days 4 h": short enough to tick every second in a table. */
export function waitingFor(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${String(s % 60).padStart(2, '0')} s`;
  const hours = Math.floor(m / 60);
  if (hours < 24) return `${hours} h ${String(m % 60).padStart(2, '0')} min`;
  const days = Math.floor(hours / 24);
  return `${days} ${days === 1 ? 'day' : 'days'} ${hours % 24} h`;
}

const TIME = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit' });
const DAY_TIME = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
const FULL = new Intl.DateTimeFormat('en-GB', { dateStyle: 'full', timeStyle: 'short' });

/** "14:05" today, "3 Dec, 14:05" otherwise. */
export function shortTime(iso: string, now = new Date()): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  return d.toDateString() === now.toDateString() ? TIME.format(d) : DAY_TIME.format(d);
}

export function fullTime(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : FULL.format(d);
}
