/**
 * The `/console` socket.io contract as the page sees it (docs/console-protocol.md). Fields the server may leave
 * out are optional here, so the page degrades rather than breaks.
 */

export type CaseStatus = 'new' | 'open' | 'pending' | 'resolved' | 'closed';
export type Priority = 'low' | 'normal' | 'high' | 'urgent';
export type Channel = 'webchat' | 'sms' | 'whatsapp' | 'email' | 'messenger' | 'instagram' | 'slack' | 'api';
export type DeliveryStatus = 'queued' | 'sent' | 'delivered' | 'read' | 'failed';
export type Presence = 'available' | 'busy' | 'away' | 'offline';
export type Role = 'agent' | 'supervisor' | 'admin';
export type Direction = 'inbound' | 'outbound' | 'note' | 'system';

export interface Named {
  id: string;
  name: string | null;
}

export interface CaseSummary {
  id: string;
  reference: string;
  status: CaseStatus;
  priority: Priority;
  channel: Channel;
  departmentId: string;
  serviceId?: string | null;
  serviceName?: string | null;
  assignee: Named | null;
  resident?: Named | null;
  subject?: string | null;
  createdAt: string;
  updatedAt?: string;
  lastInboundAt?: string | null;
  firstResponseAt?: string | null;
  version: number;
  preview?: string | null;
  /** The resident sent STOP on this SMS/WhatsApp channel: replies are refused until they send START. */
  optedOut?: boolean;
}

export interface Attachment {
  id?: string;
  filename?: string;
  contentType?: string;
  size?: number;
  url?: string;
}

/** A file staff attached to a case for a reply (POST /api/v1/cases/:id/attachments). */
export interface ReplyFile {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  url: string;
}

export interface MessageView {
  id: string;
  caseId: string;
  direction: Direction;
  channel: Channel;
  text: string;
  author: Named | null;
  attachments?: Attachment[];
  deliveryStatus: DeliveryStatus | null;
  deliveryReason?: string | null;
  createdAt: string;
  sentAt?: string | null;
}

export interface Agent {
  id: string;
  name: string;
  email: string;
  role: Role;
  presence: Presence;
  capacity: number;
  departmentIds: string[];
}

export interface Department {
  id: string;
  slug: string;
  name: string;
}

export interface Hello {
  agent: Agent;
  departments: Department[];
  serverTime: string;
  cursor: string;
}

export interface HubErrorBody {
  code: string;
  message: string;
}

export type Ack<T> = ({ ok: true } & T) | { ok: false; error: HubErrorBody };

export interface CannedReply {
  id: string;
  title: string;
  text: string;
  departmentId: string | null;
}

/** A colleague a case may be transferred to (`case:colleagues`). */
export interface Colleague {
  id: string;
  name: string;
  role: Role;
  presence: Presence;
  capacity: number;
  /** Open and pending cases they own now. */
  load: number;
}

/** An approved template as the hub offers it for one case: `text` is what the resident will read. */
export interface ComposeTemplate {
  id: string;
  name: string;
  text: string;
  variables: Record<string, string>;
  language?: string | null;
}

/** What may be sent on a case now (`case:compose-options`; also in `case:open`'s answer). */
export interface ComposeOptions {
  /** False: only one of `templates` can be sent (WhatsApp, more than 24 hours after the resident last wrote). */
  freeText: boolean;
  reason?: string | null;
  lastInboundAt?: string | null;
  /** When typed replies stop being accepted; null or absent where the channel has no window. */
  windowClosesAt?: string | null;
  templates: ComposeTemplate[];
}

/** Commands: payload and acknowledged result. */
export interface Commands {
  'queue:list': [{ departmentId?: string; channel?: Channel; status?: CaseStatus[] }, { cases: CaseSummary[]; cursor: string }];
  'case:open': [{ caseId: string }, { case: CaseSummary; messages: MessageView[]; otherCases?: CaseSummary[]; identities?: unknown[]; compose?: ComposeOptions }];
  'case:compose-options': [{ caseId: string }, { compose: ComposeOptions }];
  'case:close-view': [{ caseId: string }, object];
  'case:claim-next': [{ departmentId?: string }, { case: CaseSummary }];
  'case:claim': [{ caseId: string; takeOver?: boolean }, { case: CaseSummary }];
  'case:release': [{ caseId: string }, { case: CaseSummary }];
  'case:transfer': [{ caseId: string; departmentId?: string; agentId?: string; note?: string }, { case: CaseSummary }];
  'case:colleagues': [{ caseId: string; departmentId?: string }, { departmentId: string; agents: Colleague[] }];
  'case:status': [{ caseId: string; status: Exclude<CaseStatus, 'new'> }, { case: CaseSummary }];
  'case:priority': [{ caseId: string; priority: Priority }, { case: CaseSummary }];
  'case:reply': [{ caseId: string; text?: string; templateId?: string; attachmentIds?: string[]; clientId?: string }, { message: MessageView }];
  'case:note': [{ caseId: string; text: string }, { message: MessageView }];
  'case:canned': [{ caseId: string; cannedId: string }, { text: string }];
  'canned:list': [{ departmentId?: string }, { replies: CannedReply[] }];
  'case:typing': [{ caseId: string; typing: boolean }, object];
  'agent:presence': [{ presence: Presence }, { agent: Agent }];
  'agent:capacity': [{ capacity: number }, { agent: Agent }];
  'message:retry': [{ messageId: string }, { message: MessageView }];
  sync: [{ since: string }, { cases: CaseSummary[]; messages: MessageView[]; cursor: string }];
}

/** Server events and their payloads. */
export interface ServerEvents {
  hello: Hello;
  'case:created': { case: CaseSummary; cursor?: string };
  'case:updated': { case: CaseSummary; cursor?: string };
  'case:assigned': { case: CaseSummary; cursor?: string };
  'message:created': { message: MessageView; cursor?: string };
  'message:status': { caseId: string; messageId: string; status: DeliveryStatus; reason?: string | null; cursor?: string };
  'presence:changed': { agent: { id: string; name: string; presence: Presence; capacity: number; load?: number } };
  'case:viewers': { caseId: string; viewers: Named[] };
  'case:typing': { caseId: string; agent: Named; typing: boolean };
  notification: { kind: 'new-case' | 'mention' | 'offer' | string; caseId?: string; reference?: string; text: string };
  /** An admin changed this agent's access: the hub disconnects right after, and the page connects again. */
  'session:changed': { reason: string };
}
