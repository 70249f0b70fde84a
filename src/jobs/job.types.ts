/** Every background job, its payload, and how hard to try. Handlers are service methods marked @OnJob. */
export enum JobName {
  DeliverMessage = 'delivery.send',
  SweepQueuedMessages = 'delivery.sweep',
  /** Assigns waiting cases of an auto-assigning department (all of them without departmentId) round robin. */
  AutoAssign = 'routing.auto-assign',
  /** Removes uploads that never made it onto a case. */
  PurgeUnlinkedAttachments = 'attachments.purge-unlinked',
}

export interface JobPayloads {
  [JobName.DeliverMessage]: { messageId: string };
  [JobName.SweepQueuedMessages]: Record<string, never>;
  [JobName.AutoAssign]: { departmentId?: string };
  [JobName.PurgeUnlinkedAttachments]: Record<string, never>;
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
