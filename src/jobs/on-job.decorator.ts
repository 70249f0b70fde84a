import { SetMetadata } from '@nestjs/common';
import { JobName } from './job.types';

export const ON_JOB = 'hub:on-job';

/** Marks a service method as the one handler of a job. Start-up fails if a job has none or two. */
export const OnJob = (name: JobName) => SetMetadata(ON_JOB, name);
