import { Logger } from '@nestjs/common';
import { JobQueue, RetryPolicy, backoffDelay } from './job-queue';
import { EnqueueOptions, JobHandler, JobName, JobOf, PermanentJobError } from './job.types';

interface Pending {
  name: JobName;
  payload: unknown;
  attempt: number;
  attempts: number;
  jobId?: string;
}

/** Jobs for the single-process embedded mode: timers in this process, same retry semantics as BullMQ. */
export class InProcessJobQueue extends JobQueue {
  private readonly logger = new Logger('Jobs');
  private handlers = new Map<JobName, JobHandler>();
  private readonly live = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly backlog: Pending[] = [];
  private closed = false;

  constructor(private readonly policyFor: (name: JobName) => RetryPolicy) {
    super();
  }

  async enqueue<N extends JobName>(name: N, payload: JobOf<N>, options: EnqueueOptions = {}): Promise<void> {
    if (options.jobId) {
      if (this.live.has(options.jobId)) return;
      this.live.add(options.jobId);
    }
    const job: Pending = { name, payload, attempt: 1, attempts: options.attempts ?? this.policyFor(name).attempts, jobId: options.jobId };
    this.later(job, options.delayMs ?? 0);
  }

  async schedule(name: JobName, everyMs: number): Promise<void> {
    const timer = setInterval(() => void this.enqueue(name, {} as never, { jobId: `scheduled:${name}` }), everyMs);
    timer.unref();
    this.timers.add(timer);
  }

  async startWorker(handlers: Map<JobName, JobHandler>): Promise<void> {
    this.handlers = handlers;
    for (const job of this.backlog.splice(0)) this.later(job, 0);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  async health(): Promise<'in-process'> {
    return 'in-process';
  }

  private later(job: Pending, delayMs: number): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.run(job);
    }, delayMs);
    this.timers.add(timer);
  }

  private async run(job: Pending): Promise<void> {
    const handler = this.handlers.get(job.name);
    if (!handler) {
      this.backlog.push(job); // worker not started yet
      return;
    }
    const isFinalAttempt = job.attempt >= job.attempts;
    try {
      await handler(job.payload as never, { attempt: job.attempt, maxAttempts: job.attempts, isFinalAttempt });
      this.done(job);
    } catch (e) {
      if (e instanceof PermanentJobError || isFinalAttempt) {
        this.logger.warn(`${job.name} gave up after attempt ${job.attempt}: ${(e as Error).message}`);
        this.done(job);
        return;
      }
      this.later({ ...job, attempt: job.attempt + 1 }, backoffDelay(this.policyFor(job.name), job.attempt));
    }
  }

  private done(job: Pending): void {
    if (job.jobId) this.live.delete(job.jobId);
  }
}
