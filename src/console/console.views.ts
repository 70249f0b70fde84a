import { AttachmentMeta } from '../channels/channel-adapter';
import { decodeCursor, encodeCursor, isCursorTime } from '../common/cursor';
import { CasePriority, CaseStatus, Channel, DeliveryStatus, MessageDirection, Presence } from '../common/enum';
import { SlaView, SlaViewColumns, toSlaView } from '../sla/sla.views';

/** A case as the console lists and shows it (docs/console-protocol.md). */
export interface CaseSummary {
  id: string;
  reference: string;
  status: CaseStatus;
  priority: CasePriority;
  channel: Channel;
  departmentId: string;
  serviceId: string | null;
  serviceName: string | null;
  assignee: { id: string; name: string } | null;
  resident: { id: string; name: string | null };
  subject: string | null;
  createdAt: string;
  updatedAt: string;
  lastInboundAt: string | null;
  firstResponseAt: string | null;
  version: number;
  /** The start of the newest message to or from the resident (plain text). */
  preview: string | null;
  /** The resident opted out of messages on this case's channel (SMS/WhatsApp STOP): replies are refused until START. */
  optedOut: boolean;
  /** Due times of the SLA targets and where the case stands against them (docs/sla.md). */
  sla: SlaView;
}

/** A message as the console shows it; `text` is plain text, never HTML. */
export interface MessageView {
  id: string;
  caseId: string;
  direction: MessageDirection;
  channel: Channel;
  text: string;
  author: { id: string; name: string } | null;
  attachments: AttachmentMeta[];
  deliveryStatus: DeliveryStatus | null;
  deliveryReason: string | null;
  createdAt: string;
  sentAt: string | null;
}

export interface AgentView {
  id: string;
  name: string;
  email: string;
  role: string;
  presence: Presence;
  capacity: number;
  departmentIds: string[];
}

export interface PresenceView {
  id: string;
  name: string;
  presence: Presence;
  capacity: number;
  load: number;
}

/** A colleague as the transfer dialog lists them (`case:colleagues`). */
export interface ColleagueView extends PresenceView {
  role: string;
}

/** The row behind a CaseSummary (console-read.repository.ts). */
export interface CaseSummaryRow {
  id: string;
  reference: string;
  status: CaseStatus;
  priority: CasePriority;
  channel: Channel;
  department_id: string;
  service_id: string | null;
  service_name: string | null;
  assignee_id: string | null;
  assignee_name: string | null;
  resident_id: string;
  resident_name: string | null;
  subject: string | null;
  created_at: Date;
  updated_at: Date;
  last_inbound_at: Date | null;
  first_response_at: Date | null;
  version: number;
  preview: string | null;
  opted_out?: boolean;
  resolved_at?: Date | null;
  closed_at?: Date | null;
  sla_first_response_due_at?: Date | null;
  sla_first_response_warn_at?: Date | null;
  sla_resolution_due_at?: Date | null;
  sla_resolution_warn_at?: Date | null;
  sla_paused_since?: Date | null;
  /** updated_at exactly (microseconds), for cursors. */
  updated_at_key: string;
}

export interface MessageViewRow {
  id: string;
  case_id: string;
  direction: MessageDirection;
  channel: Channel;
  text: string;
  author_agent_id: string | null;
  author_name: string | null;
  attachments: AttachmentMeta[];
  delivery_status: DeliveryStatus | null;
  delivery_reason: string | null;
  created_at: Date;
  sent_at: Date | null;
  updated_at_key: string;
}

const iso = (d: Date | null): string | null => (d === null ? null : new Date(d).toISOString());

export function toCaseSummary(r: CaseSummaryRow): CaseSummary {
  return {
    id: r.id,
    reference: r.reference,
    status: r.status,
    priority: r.priority,
    channel: r.channel,
    departmentId: r.department_id,
    serviceId: r.service_id,
    serviceName: r.service_name,
    assignee: r.assignee_id ? { id: r.assignee_id, name: r.assignee_name ?? '' } : null,
    resident: { id: r.resident_id, name: r.resident_name },
    subject: r.subject,
    createdAt: iso(r.created_at)!,
    updatedAt: iso(r.updated_at)!,
    lastInboundAt: iso(r.last_inbound_at),
    firstResponseAt: iso(r.first_response_at),
    version: r.version,
    preview: r.preview,
    optedOut: r.opted_out ?? false,
    sla: toSlaView({ ...r, resolved_at: r.resolved_at ?? null, closed_at: r.closed_at ?? null } satisfies SlaViewColumns),
  };
}

export function toMessageView(r: MessageViewRow): MessageView {
  return {
    id: r.id,
    caseId: r.case_id,
    direction: r.direction,
    channel: r.channel,
    text: r.text,
    author: r.author_agent_id ? { id: r.author_agent_id, name: r.author_name ?? '' } : null,
    attachments: r.attachments,
    deliveryStatus: r.delivery_status,
    deliveryReason: r.delivery_reason,
    createdAt: iso(r.created_at)!,
    sentAt: iso(r.sent_at),
  };
}

/**
 * The console's cursor: a point in time (microseconds, UTC) and the id of the row it came from, encoded opaquely.
 * Every push carries the cursor of the row it is about; `sync` answers everything that changed since.
 */
export interface SyncKey {
  at: string;
  id: string;
}

const NO_ID = '00000000-0000-0000-0000-000000000000';

export function syncCursor(at: string, id = NO_ID): string {
  return encodeCursor({ at, id });
}

export function decodeSyncCursor(cursor: string): SyncKey {
  const key = decodeCursor(cursor, isSyncKey, 'since');
  if (!key) throw new Error('unreachable: an empty cursor is refused by the DTO');
  return key;
}

function isSyncKey(v: unknown): v is SyncKey {
  const k = v as SyncKey;
  return !!k && isCursorTime(k.at) && typeof k.id === 'string' && /^[0-9a-f-]{36}$/i.test(k.id);
}
