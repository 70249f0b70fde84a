import { CaseStatus, Channel, DeliveryStatus, MessageDirection, Presence } from '../common/enum';

/**
 * Every domain event, with its payload. Payloads carry ids and the case version, never entities, so a listener
 * re-reads what it needs and a client can drop a stale or out-of-order push.
 */
export interface HubEvents {
  'case.created': { caseId: string; reference: string; departmentId: string; channel: Channel; version: number };
  'case.updated': { caseId: string; version: number; status: CaseStatus; reopened?: boolean };
  'message.created': { caseId: string; messageId: string; direction: MessageDirection; channel: Channel };
  'message.status-changed': { caseId: string; messageId: string; status: DeliveryStatus; reason?: string | null };
  'resident.merged': { residentId: string; mergedResidentId: string };
  /** The case's owner changed: a claim, a takeover, a release (assigneeId null) or an auto-assignment. */
  'case.assigned': { caseId: string; version: number; departmentId: string; assigneeId: string | null; previousAssigneeId: string | null; byAgentId: string | null; auto: boolean };
  /** The case moved to another department and/or agent (a system message on the case records it). */
  'case.transferred': {
    caseId: string;
    version: number;
    fromDepartmentId: string;
    toDepartmentId: string;
    previousAssigneeId: string | null;
    assigneeId: string | null;
    /** null: not an agent (a web chat resident choosing the service in the pre-chat form). */
    byAgentId: string | null;
  };
  /** An internal note named these agents with @mentions. */
  'note.mentioned': { caseId: string; messageId: string; agentIds: string[]; byAgentId: string };
  /** An agent's presence or capacity changed (persisted on the agent row). */
  'agent.presence-changed': { agentId: string; presence: Presence; capacity: number };
  /** An admin changed an agent's role, departments or active flag (open console sockets must follow). */
  'agent.access-changed': { agentId: string };
  /** An agent opened a case in the console (not a change of data: the resident's channel may show it as read). */
  'case.opened': { caseId: string; agentId: string };
  /** An agent started or stopped typing on a case (passed on, never stored). */
  'agent.typing': { caseId: string; agentId: string; agentName: string; typing: boolean };
}

export type HubEventName = keyof HubEvents;

export interface PendingEvent<N extends HubEventName = HubEventName> {
  name: N;
  payload: HubEvents[N];
}
