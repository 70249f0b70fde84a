import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { CaseClaimService } from '../cases/case-claim.service';
import { CaseStatus, Presence } from '../common/enum';
import { Env } from '../config/env';
import { HubEvents } from '../events/hub-events';
import { JobQueue } from '../jobs/job-queue';
import { runsJobWorker } from '../jobs/jobs.module';
import { JobName, JobOf } from '../jobs/job.types';
import { OnJob } from '../jobs/on-job.decorator';

/** Cases one job assigns in a department before it hands over to a fresh job (others get a turn). */
const ROUNDS_PER_JOB = 50;
/** How long the list of auto-assigning departments is trusted before it is read again. */
const SETTINGS_TTL_MS = 1000;

/**
 * Auto-assignment, per department (department.settings.autoAssign): waiting cases go round robin to the
 * department's available agents under capacity, oldest (and most urgent) first, by the same atomic claim agents
 * use, so nothing is owned twice. It runs as a job (after commit, retried) when a case starts waiting, an agent
 * becomes available or frees capacity, and on a schedule as the safety net: the database is the record, a lost
 * job only delays.
 */
@Injectable()
export class AutoAssignService implements OnApplicationBootstrap {
  private readonly logger = new Logger('AutoAssign');
  private settings?: { departmentIds: Set<string>; readAt: number };

  constructor(
    private readonly claims: CaseClaimService,
    private readonly jobs: JobQueue,
    private readonly env: Env,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (runsJobWorker(this.env)) await this.jobs.schedule(JobName.AutoAssign, this.env.AUTO_ASSIGN_SWEEP_MS);
  }

  async setAutoAssign(departmentId: string, on: boolean): Promise<void> {
    await this.claims.setAutoAssign(departmentId, on);
    this.settings = undefined;
    if (on) await this.wake();
  }

  @OnEvent('case.created')
  async onCaseCreated(e: HubEvents['case.created']): Promise<void> {
    if ((await this.autoDepartments()).has(e.departmentId)) await this.wake(e.departmentId);
  }

  /** Waiting again (reopened, back from pending) or finished (resolved, closed: its owner has room again). */
  @OnEvent('case.updated')
  async onCaseUpdated(e: HubEvents['case.updated']): Promise<void> {
    if ([CaseStatus.New, CaseStatus.Resolved, CaseStatus.Closed].includes(e.status)) await this.wake();
  }

  /** Released, or taken from someone (who has room again). */
  @OnEvent('case.assigned')
  async onCaseAssigned(e: HubEvents['case.assigned']): Promise<void> {
    if (!e.assigneeId || e.previousAssigneeId) await this.wake();
  }

  @OnEvent('case.transferred')
  async onCaseTransferred(): Promise<void> {
    await this.wake();
  }

  @OnEvent('agent.presence-changed')
  async onPresenceChanged(e: HubEvents['agent.presence-changed']): Promise<void> {
    if (e.presence === Presence.Available) await this.wake();
  }

  @OnJob(JobName.AutoAssign)
  async handleAutoAssign({ departmentId }: JobOf<JobName.AutoAssign>): Promise<void> {
    const departments = departmentId ? [departmentId] : await this.claims.listAutoAssignDepartments();
    for (const id of departments) await this.assignWaiting(id);
  }

  private async assignWaiting(departmentId: string): Promise<void> {
    for (let round = 0; round < ROUNDS_PER_JOB; round++) {
      const { assigned, stop } = await this.claims.autoAssignOne(departmentId);
      if (assigned) this.logger.debug(`case ${assigned.reference} assigned to agent ${assigned.assignee_id}`);
      if (stop) return;
    }
    await this.wake(departmentId);
  }

  /** Enqueues a run for one department, or for every auto-assigning one; nothing when none assigns itself. */
  private async wake(departmentId?: string): Promise<void> {
    try {
      if (!departmentId && (await this.autoDepartments()).size === 0) return;
      await this.jobs.enqueue(JobName.AutoAssign, departmentId ? { departmentId } : {});
    } catch (e) {
      this.logger.warn(`could not enqueue auto-assignment, the schedule will catch up: ${(e as Error).message}`);
    }
  }

  private async autoDepartments(): Promise<Set<string>> {
    if (!this.settings || Date.now() - this.settings.readAt > SETTINGS_TTL_MS) {
      this.settings = { departmentIds: new Set(await this.claims.listAutoAssignDepartments()), readAt: Date.now() };
    }
    return this.settings.departmentIds;
  }
}
