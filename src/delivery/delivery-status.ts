import { DeliveryStatus } from '../common/enum';

/**
 * Delivery status only moves forward: queued → sent → delivered → read, and failed from anywhere before
 * delivered. Providers send callbacks out of order; a late "sent" after "delivered" is ignored.
 */
const RANK: Record<DeliveryStatus, number> = {
  [DeliveryStatus.Queued]: 0,
  [DeliveryStatus.Sent]: 1,
  [DeliveryStatus.Delivered]: 2,
  [DeliveryStatus.Read]: 3,
  [DeliveryStatus.Failed]: 2,
};

export function canAdvance(from: DeliveryStatus, to: DeliveryStatus): boolean {
  if (from === to) return false;
  if (from === DeliveryStatus.Failed) return to === DeliveryStatus.Delivered || to === DeliveryStatus.Read; // a late receipt proves it arrived
  if (to === DeliveryStatus.Failed) return from === DeliveryStatus.Queued || from === DeliveryStatus.Sent;
  return RANK[to] > RANK[from];
}

/** Statuses a message may hold for `to` to be accepted, for the conditional UPDATE. */
export function predecessorsOf(to: DeliveryStatus): DeliveryStatus[] {
  return (Object.values(DeliveryStatus) as DeliveryStatus[]).filter((from) => canAdvance(from, to));
}
