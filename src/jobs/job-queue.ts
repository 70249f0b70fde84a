import { EnqueueOptions, JobHandler, JobName, JobOf } from './job.types';

/**
 * The job transport seam: BullMQ on Redis when REDIS_URL is set, in-process otherwise. Both are asynchronous
 * (never run the handler inside enqueue, which may be inside a transaction), retry with exponential back-off,
 * and stop at PermanentJobError.
 */
export abstract class JobQueue {
  abstract enqueue<N extends JobName>(name: N, payload: JobOf<N>, options?: EnqueueOptions): Promise<void>;
  /** Runs `name` every `everyMs`, once across all processes. */
  abstract schedule(name: JobName, everyMs: number): Promise<void>;
  /** Starts consuming (worker role only). */
  abstract startWorker(handlers: Map<JobName, JobHandler>): Promise<void>;
  abstract close(): Promise<void>;
  /** 'up', 'down', or 'in-process' when there is no Redis. */
  abstract health(): Promise<'up' | 'down' | 'in-process'>;
}

export interface RetryPolicy {
  attempts: number;
  backoffMs: number;
}

/** Exponential back-off: base, 2×base, 4×base … */
export function backoffDelay(policy: RetryPolicy, attemptJustFailed: number): number {
  return policy.backoffMs * 2 ** (attemptJustFailed - 1);
}
