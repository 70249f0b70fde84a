import { DeliveryStatus } from '../common/enum';
import { canAdvance, predecessorsOf } from './delivery-status';

const { Queued, Sent, Delivered, Read, Failed } = DeliveryStatus;

/**
 * The whole forward-only table, written out by hand: row = the status a message holds, column = the status a
 * job or a provider callback asks for. Every pair is listed, so a new status fails this spec until it is placed.
 */
const TABLE: Record<DeliveryStatus, Record<DeliveryStatus, boolean>> = {
  [Queued]: { [Queued]: false, [Sent]: true, [Delivered]: true, [Read]: true, [Failed]: true },
  [Sent]: { [Queued]: false, [Sent]: false, [Delivered]: true, [Read]: true, [Failed]: true },
  [Delivered]: { [Queued]: false, [Sent]: false, [Delivered]: false, [Read]: true, [Failed]: false },
  [Read]: { [Queued]: false, [Sent]: false, [Delivered]: false, [Read]: false, [Failed]: false },
  [Failed]: { [Queued]: false, [Sent]: false, [Delivered]: true, [Read]: true, [Failed]: false },
};

const ALL = Object.values(DeliveryStatus) as DeliveryStatus[];
const PAIRS = ALL.flatMap((from) => ALL.map((to) => [from, to, TABLE[from][to]] as const));

describe('delivery status', () => {
  it('lists every status in the table', () => {
    expect(Object.keys(TABLE).sort()).toEqual([...ALL].sort());
    for (const from of ALL) expect(Object.keys(TABLE[from]).sort()).toEqual([...ALL].sort());
    expect(PAIRS).toHaveLength(ALL.length * ALL.length);
  });

  describe(canAdvance.name, () => {
    it.each(PAIRS)('%s → %s: %s', (from, to, allowed) => {
      expect(canAdvance(from, to)).toBe(allowed);
    });

    it('never goes back to queued (a re-send is its own operation, not a status callback)', () => {
      for (const from of ALL) expect(canAdvance(from, Queued)).toBe(false);
    });

    it('never repeats a status, so a repeated callback changes nothing', () => {
      for (const s of ALL) expect(canAdvance(s, s)).toBe(false);
    });

    it('ignores a late "sent" after "delivered" or "read"', () => {
      expect(canAdvance(Delivered, Sent)).toBe(false);
      expect(canAdvance(Read, Sent)).toBe(false);
    });

    it('lets a late receipt correct a message marked failed, but not a late failure undo a receipt', () => {
      expect(canAdvance(Failed, Delivered)).toBe(true);
      expect(canAdvance(Delivered, Failed)).toBe(false);
      expect(canAdvance(Read, Failed)).toBe(false);
    });
  });

  describe(predecessorsOf.name, () => {
    it.each(ALL)('%s is accepted from exactly the statuses the table allows', (to) => {
      const expected = ALL.filter((from) => TABLE[from][to]);
      expect([...predecessorsOf(to)].sort()).toEqual(expected.sort());
    });
  });
});
