/** The hub's shared words (architecture brief §1). One place, used by code, API and UI alike. */

export enum Channel {
  Api = 'api',
  Webchat = 'webchat',
  Sms = 'sms',
  Whatsapp = 'whatsapp',
  Email = 'email',
  Messenger = 'messenger',
  Instagram = 'instagram',
  Slack = 'slack',
}

export enum CaseStatus {
  New = 'new',
  Open = 'open',
  Pending = 'pending',
  Resolved = 'resolved',
  Closed = 'closed',
}

export enum CasePriority {
  Low = 'low',
  Normal = 'normal',
  High = 'high',
  Urgent = 'urgent',
}

/** Queue order: a higher rank is served first. */
export const PRIORITY_RANK: Record<CasePriority, number> = {
  [CasePriority.Low]: 0,
  [CasePriority.Normal]: 1,
  [CasePriority.High]: 2,
  [CasePriority.Urgent]: 3,
};

export enum MessageDirection {
  Inbound = 'inbound',
  Outbound = 'outbound',
  Note = 'note',
  System = 'system',
}

export enum DeliveryStatus {
  Queued = 'queued',
  Sent = 'sent',
  Delivered = 'delivered',
  Read = 'read',
  Failed = 'failed',
}

export enum AgentRole {
  Agent = 'agent',
  Supervisor = 'supervisor',
  Admin = 'admin',
}

export enum Presence {
  Available = 'available',
  Busy = 'busy',
  Away = 'away',
  Offline = 'offline',
}

export enum ProcessRole {
  Api = 'api',
  Worker = 'worker',
  All = 'all',
}

export function enumValues<T extends Record<string, string>>(e: T): string[] {
  return Object.values(e);
}
