import { deliveryMovesForward } from './format';
import { Agent, CaseSummary, Department, DeliveryStatus, MessageView } from './protocol';

/**
 * What the page knows, in one place. Pushes can arrive late, twice or out of order (and a re-sync repeats them):
 * a case is replaced only by a newer version, a message is known by id, a delivery status only moves forward.
 */
export class Store {
  agent: Agent | null = null;
  /** Every department by id (names for the table and the transfer list). */
  departments = new Map<string, Department>();
  /** The agent's own departments (the queue filter). */
  myDepartments: Department[] = [];
  cases = new Map<string, CaseSummary>();
  /** Messages of the open case's resident, by id. */
  messages = new Map<string, MessageView>();
  /** The last cursor any answer or event carried: where a re-sync starts. */
  cursor: string | null = null;
  /** serverTime − local time, so waiting times agree with the hub's clock. */
  clockOffsetMs = 0;
  /** Staff names seen anywhere, for messages that name their author by id only. */
  staffNames = new Map<string, string>();

  now(): number {
    return Date.now() + this.clockOffsetMs;
  }

  seeCursor(cursor: string | undefined | null): void {
    if (cursor) this.cursor = cursor;
  }

  /** Stores a case if it is new or newer; true when the page should show the change. */
  putCase(c: CaseSummary): boolean {
    const known = this.cases.get(c.id);
    if (known && typeof known.version === 'number' && typeof c.version === 'number' && c.version <= known.version) return false;
    this.cases.set(c.id, c);
    if (c.assignee?.name) this.staffNames.set(c.assignee.id, c.assignee.name);
    return true;
  }

  /** Stores a message; true when it was not known before. Known ones take a forward delivery status only. */
  putMessage(m: MessageView): boolean {
    const known = this.messages.get(m.id);
    if (m.author?.name) this.staffNames.set(m.author.id, m.author.name);
    if (!known) {
      this.messages.set(m.id, m);
      return true;
    }
    if (m.deliveryStatus && deliveryMovesForward(known.deliveryStatus, m.deliveryStatus)) {
      known.deliveryStatus = m.deliveryStatus;
      known.deliveryReason = m.deliveryReason ?? null;
      known.sentAt = m.sentAt ?? known.sentAt;
    }
    return false;
  }

  /** Applies a delivery status report; true when the message is known and the status moved forward. */
  setDelivery(messageId: string, status: DeliveryStatus, reason: string | null | undefined): boolean {
    const m = this.messages.get(messageId);
    if (!m || m.deliveryStatus === status || !deliveryMovesForward(m.deliveryStatus, status)) return false;
    m.deliveryStatus = status;
    m.deliveryReason = reason ?? null;
    return true;
  }

  departmentName(id: string): string {
    return this.departments.get(id)?.name ?? 'Unknown department';
  }

  isMine(c: CaseSummary): boolean {
    return !!this.agent && c.assignee?.id === this.agent.id;
  }

  get canTakeOver(): boolean {
    return this.agent?.role === 'supervisor' || this.agent?.role === 'admin';
  }

  clear(): void {
    this.agent = null;
    this.cases.clear();
    this.messages.clear();
    this.cursor = null;
    this.myDepartments = [];
  }
}
