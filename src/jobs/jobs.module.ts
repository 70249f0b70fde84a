import { Global, Inject, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DiscoveryModule, DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { ProcessRole } from '../common/enum';
import { Env } from '../config/env';
import { BullMqJobQueue } from './bullmq-job-queue';
import { InProcessJobQueue } from './in-process-job-queue';
import { JobQueue, RetryPolicy } from './job-queue';
import { JobHandler, JobName } from './job.types';
import { ON_JOB } from './on-job.decorator';

/** Attempts and back-off per job, in one table. */
export function retryPolicies(env: Env): Record<JobName, RetryPolicy> {
  return {
    [JobName.DeliverMessage]: { attempts: env.DELIVERY_MAX_ATTEMPTS, backoffMs: env.DELIVERY_BACKOFF_MS },
    [JobName.SweepQueuedMessages]: { attempts: 1, backoffMs: 1000 },
    [JobName.AutoAssign]: { attempts: 5, backoffMs: 500 },
    [JobName.PurgeUnlinkedAttachments]: { attempts: 1, backoffMs: 1000 },
    [JobName.WebchatUnseenReply]: { attempts: env.DELIVERY_MAX_ATTEMPTS, backoffMs: env.DELIVERY_BACKOFF_MS },
    [JobName.WebchatTranscript]: { attempts: env.DELIVERY_MAX_ATTEMPTS, backoffMs: env.DELIVERY_BACKOFF_MS },
    [JobName.WebchatAbandonCheck]: { attempts: 3, backoffMs: 1000 },
    [JobName.SlaCheck]: { attempts: 5, backoffMs: 1000 },
    [JobName.SlaSlack]: { attempts: 5, backoffMs: 2000 },
    [JobName.SlaSweep]: { attempts: 1, backoffMs: 1000 },
    [JobName.FetchInboundMedia]: { attempts: env.DELIVERY_MAX_ATTEMPTS, backoffMs: env.DELIVERY_BACKOFF_MS },
  };
}

/** Whether this process consumes jobs and runs schedules: not an API-only process, not the admin command line. */
export function runsJobWorker(env: Env): boolean {
  return env.PROCESS_ROLE !== ProcessRole.Api && env.JOBS_WORKER;
}

@Global()
@Module({
  imports: [DiscoveryModule],
  providers: [
    {
      provide: JobQueue,
      inject: [Env],
      useFactory: (env: Env): JobQueue => {
        const policies = retryPolicies(env);
        return env.REDIS_URL
          ? new BullMqJobQueue(env.REDIS_URL, env.REDIS_PREFIX, (n) => policies[n])
          : new InProcessJobQueue((n) => policies[n]);
      },
    },
  ],
  exports: [JobQueue],
})
export class JobsModule implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Jobs');

  constructor(
    @Inject(JobQueue) private readonly queue: JobQueue,
    private readonly env: Env,
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly reflector: Reflector,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const handlers = this.findHandlers();
    const missing = Object.values(JobName).filter((n) => !handlers.has(n));
    if (missing.length) throw new Error(`No @OnJob handler for: ${missing.join(', ')}`);
    if (this.env.PROCESS_ROLE === ProcessRole.Api && !this.env.REDIS_URL) {
      throw new Error('Invalid environment variable:\n  PROCESS_ROLE=api needs REDIS_URL (without Redis, jobs run in the same process)');
    }
    if (runsJobWorker(this.env)) {
      await this.queue.startWorker(handlers);
      this.logger.log(`worker started (${this.env.REDIS_URL ? 'BullMQ on Redis' : 'in-process'})`);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await this.queue.close();
  }

  private findHandlers(): Map<JobName, JobHandler> {
    const handlers = new Map<JobName, JobHandler>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object') continue;
      for (const method of this.scanner.getAllMethodNames(Object.getPrototypeOf(instance))) {
        const name = this.reflector.get<JobName | undefined>(ON_JOB, instance[method] as () => void);
        if (!name) continue;
        if (handlers.has(name)) throw new Error(`Two @OnJob handlers for ${name}`);
        handlers.set(name, (instance[method] as JobHandler).bind(instance));
      }
    }
    return handlers;
  }
}
