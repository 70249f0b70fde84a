import { CaseStatus, Channel, DeliveryStatus, MessageDirection } from '../common/enum';

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
}

export type HubEventName = keyof HubEvents;

export interface PendingEvent<N extends HubEventName = HubEventName> {
  name: N;
  payload: HubEvents[N];
}
