/** Every background job, its payload, and how hard to try. Handlers are service methods marked @OnJob. */
export enum JobName {
  DeliverMessage = 'delivery.send',
  SweepQueuedMessages = 'delivery.sweep',
  /** Assigns waiting cases of an auto-assigning department (all of them without departmentId) round robin. */
  AutoAssign = 'routing.auto-assign',
  /** Removes uploads that never made it onto a case. */
  PurgeUnlinkedAttachments = 'attachments.purge-unlinked',
  /** A web chat reply the resident has not seen in the chat by now goes by email too, if they gave one. */
  WebchatUnseenReply = 'webchat.unseen-reply',
  /** The web chat's transcript, emailed when the resident ends the chat and asked for it. */
  WebchatTranscript = 'webchat.transcript',
  /** A web chat whose resident left (no socket for the grace period) before any answer is marked abandoned. */
  WebchatAbandonCheck = 'webchat.abandon-check',
  /** Raises an SLA warning or breach on a case when its time comes, if the case still calls for it (docs/sla.md). */
  SlaCheck = 'sla.check',
  /** Downloads the media of a resident's message from its provider (Twilio, Meta) into the attachment store. */
  FetchInboundMedia = 'channels.fetch-media',
  /** Posts one SLA alert to the department's Slack channel. */
  SlaSlack = 'sla.slack',
  /** Safety net: alerts whose jobs were lost (a restart of in-process jobs) are raised late rather than never. */
  SlaSweep = 'sla.sweep',
}

export interface JobPayloads {
  [JobName.DeliverMessage]: { messageId: string };
  [JobName.SweepQueuedMessages]: Record<string, never>;
  [JobName.AutoAssign]: { departmentId?: string };
  [JobName.PurgeUnlinkedAttachments]: Record<string, never>;
  [JobName.WebchatUnseenReply]: { messageId: string };
  [JobName.WebchatTranscript]: { caseId: string; visitorId: string };
  [JobName.WebchatAbandonCheck]: { caseId: string; visitorId: string };
  [JobName.SlaCheck]: { caseId: string; target: 'firstResponse' | 'resolution'; kind: 'warning' | 'breach'; dueAt: string };
  [JobName.FetchInboundMedia]: { messageId: string };
  [JobName.SlaSlack]: { alertId: string };
  [JobName.SlaSweep]: Record<string, never>;
}

export type JobOf<N extends JobName> = JobPayloads[N];

export interface JobContext {
  /** 1 on the first try. */
  attempt: number;
  maxAttempts: number;
  readonly isFinalAttempt: boolean;
}

export type JobHandler<N extends JobName = JobName> = (payload: JobOf<N>, ctx: JobContext) => Promise<void>;

export interface EnqueueOptions {
  /** Same id while a job is waiting or running: the second enqueue is a no-op. */
  jobId?: string;
  delayMs?: number;
  /** Overrides the policy's attempts (a re-send after a failure starts a fresh round). */
  attempts?: number;
}

/** Thrown by a handler when trying again cannot help (a refused address, a bad request). */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}
