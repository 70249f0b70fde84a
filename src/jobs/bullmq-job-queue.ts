import { Logger } from '@nestjs/common';
import { Queue, UnrecoverableError, Worker } from 'bullmq';
import IORedis from 'ioredis';
import { JobQueue, RetryPolicy } from './job-queue';
import { EnqueueOptions, JobHandler, JobName, JobOf, PermanentJobError } from './job.types';

const QUEUE = 'hub-jobs';

/** Jobs on Redis through BullMQ: any number of worker processes share one queue. */
export class BullMqJobQueue extends JobQueue {
  private readonly logger = new Logger('Jobs');
  private readonly connection: IORedis;
  private readonly queue: Queue;
  private worker?: Worker;
  private workerConnection?: IORedis;

  constructor(
    redisUrl: string,
    private readonly prefix: string,
    private readonly policyFor: (name: JobName) => RetryPolicy,
    private readonly concurrency = 20,
  ) {
    super();
    // Workers block on Redis: BullMQ requires maxRetriesPerRequest null on their connection.
    this.connection = new IORedis(redisUrl, { maxRetriesPerRequest: null, lazyConnect: false });
    this.connection.on('error', (e) => this.logger.warn(`Redis: ${e.message}`));
    this.queue = new Queue(QUEUE, { connection: this.connection, prefix });
  }

  async enqueue<N extends JobName>(name: N, payload: JobOf<N>, options: EnqueueOptions = {}): Promise<void> {
    const policy = this.policyFor(name);
    await this.queue.add(name, payload, {
      jobId: options.jobId === undefined ? undefined : bullJobId(options.jobId),
      delay: options.delayMs,
      attempts: options.attempts ?? policy.attempts,
      backoff: { type: 'exponential', delay: policy.backoffMs },
      removeOnComplete: true,
      removeOnFail: true,
    });
  }

  async schedule(name: JobName, everyMs: number): Promise<void> {
    await this.queue.upsertJobScheduler(`scheduled:${name}`, { every: everyMs }, { name, data: {}, opts: { removeOnComplete: true, removeOnFail: true } });
  }

  async startWorker(handlers: Map<JobName, JobHandler>): Promise<void> {
    this.worker = new Worker(
      QUEUE,
      async (job) => {
        const handler = handlers.get(job.name as JobName);
        if (!handler) throw new UnrecoverableError(`no handler for job ${job.name}`);
        const maxAttempts = job.opts.attempts ?? 1;
        const attempt = job.attemptsMade + 1;
        try {
          await handler(job.data as never, { attempt, maxAttempts, isFinalAttempt: attempt >= maxAttempts });
        } catch (e) {
          if (e instanceof PermanentJobError) throw new UnrecoverableError(e.message);
          throw e;
        }
      },
      { connection: (this.workerConnection = this.connection.duplicate()), prefix: this.prefix, concurrency: this.concurrency },
    );
    this.worker.on('error', (e) => this.logger.warn(`worker: ${e.message}`));
    await this.worker.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    this.workerConnection?.disconnect(); // BullMQ leaves connections it was given open
    this.connection.disconnect();
  }

  async health(): Promise<'up' | 'down'> {
    try {
      return (await this.connection.ping()) === 'PONG' ? 'up' : 'down';
    } catch {
      return 'down';
    }
  }
}

/**
 * BullMQ refuses custom job ids that contain ':' (its own key separator) or look like integers, and throws from
 * add(). Our ids (`deliver:<message id>`) are written for every driver, so they are escaped here, one-to-one.
 */
export function bullJobId(jobId: string): string {
  const escaped = jobId.replace(/%/g, '%25').replace(/:/g, '%3A');
  return /^\d+$/.test(escaped) ? `id%${escaped}` : escaped;
}
