import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { caseScope } from '../auth/access';
import type { Actor } from '../auth/actor';
import { PermanentDeliveryError } from '../channels/channel-adapter';
import { SlackMirrorService } from '../channels/slack/slack-mirror.service';
import { AgentRole, CaseStatus } from '../common/enum';
import { HubError } from '../common/errors';
import { Env } from '../config/env';
import { CONSOLE_NAMESPACE, pushToConsole } from '../console/console.events';
import { Db } from '../database/db';
import { DepartmentsService } from '../departments/departments.service';
import { JobQueue } from '../jobs/job-queue';
import { runsJobWorker } from '../jobs/jobs.module';
import { JobName, JobOf, PermanentJobError } from '../jobs/job.types';
import { OnJob } from '../jobs/on-job.decorator';
import { RealtimeService } from '../realtime/realtime.service';
import { Rooms } from '../realtime/rooms';
import { alertDue, metAt, nextPauses, Pause, Schedule, scheduleOf, SlaAlertKind, SlaTarget, TargetClock } from './sla-clock';
import { SlaConfig } from './sla-config';
import { ClearReason, SlaAlertViewRow, SlaCaseRow, SlaColumns, SlaRepository } from './sla.repository';
import { supervisorRoom } from '../supervisor/supervisor-rooms';
import { SlaAlertView, toSlaAlertView, toSlaView } from './sla.views';

const TARGETS = [SlaTarget.FirstResponse, SlaTarget.Resolution] as const;
const KINDS = [SlaAlertKind.Warning, SlaAlertKind.Breach] as const;
/** The sweep looks for alerts whose jobs were lost this often, and raises at most this many per run. */
const SWEEP_EVERY_MS = 60_000;
const SWEEP_BATCH = 500;
const BREACHES_LIMIT = 500;
/** The longest single delay of an alert job: in-process timers overflow past 24.8 days; later alerts wait in steps. */
const MAX_DELAY_MS = 86_400_000;

/**
 * SLA clocks and alerts (docs/sla.md). Every case carries a due time per target (first response, resolution),
 * computed in working time from the council's policy (config/sla.yaml) after the case is created and again after
 * every change to it: a new priority, service or department moves the targets; `pending` (and `resolved`, until a
 * reopen) stops the clocks and a restart pushes the due times out by the working time that passed meanwhile.
 *
 * Alerts are delayed jobs, one per case, target, kind and due time: a recomputation enqueues fresh ones and the
 * stale ones, when they fire, find the case no longer calls for them (the handler reads the database first).
 */
@Injectable()
export class SlaService implements OnApplicationBootstrap {
  private readonly logger = new Logger('Sla');

  constructor(
    private readonly db: Db,
    private readonly repo: SlaRepository,
    private readonly config: SlaConfig,
    private readonly jobs: JobQueue,
    private readonly realtime: RealtimeService,
    private readonly slack: SlackMirrorService,
    private readonly departments: DepartmentsService,
    private readonly env: Env,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (runsJobWorker(this.env)) await this.jobs.schedule(JobName.SlaSweep, SWEEP_EVERY_MS);
  }

  /**
   * Brings a case's clocks up to date with the case as it is now, settles its current alerts, and enqueues the
   * alert jobs of a new schedule. Safe to run any number of times, in any order: it reads the case, not the event.
   */
  async recompute(caseId: string): Promise<void> {
    const c = await this.repo.loadForSla(caseId);
    if (!c) return;
    if (c.status === CaseStatus.Closed && c.sla_first_response_due_at) return this.settleAlerts(c); // final: only alerts to clear
    const next = this.clocksOf(c);
    const changed = !sameClocks(c, next);
    if (changed) {
      if (!(await this.repo.writeClocks(c.id, c.version, next))) return; // changed meanwhile: its own event recomputes
      this.pushClocks(c, next);
    }
    const now = new Date();
    const updated: SlaCaseRow = { ...c, ...columnsOf(next) };
    await this.settleAlerts(updated, now);
    if (changed && !next.pausedSince && c.status !== CaseStatus.Closed) await this.enqueueChecks(updated, now);
  }

  /** The clocks a case should have now (a pure function of the row, the policy and the calendar). */
  clocksOf(c: SlaCaseRow): SlaColumns {
    const paused = nextPauses(c.status, { pausedSince: c.sla_paused_since, pauses: toPauses(c.sla_pauses) }, c.updated_at, c.resolved_at);
    const policy = this.config.policyFor({ departmentSlug: c.department_slug, lgsl: c.lgsl, priority: c.priority });
    const schedule = scheduleOf({
      createdAt: c.created_at,
      pauses: paused.pauses,
      calendar: this.config.calendarFor(c.department_slug),
      targets: policy.targets,
      warningAt: this.config.warningAt,
    });
    return {
      firstResponseDueAt: schedule.firstResponse.dueAt,
      firstResponseWarnAt: schedule.firstResponse.warnAt,
      resolutionDueAt: schedule.resolution.dueAt,
      resolutionWarnAt: schedule.resolution.warnAt,
      pausedSince: paused.pausedSince,
      pauses: paused.pauses.map((p) => [p.from.toISOString(), p.to.toISOString()]),
      policy: policy.source,
    };
  }

  /** A delayed alert job: raises the alert if the case still calls for it at its due time. */
  @OnJob(JobName.SlaCheck)
  async handleCheck(job: JobOf<JobName.SlaCheck>): Promise<void> {
    const target = job.target as SlaTarget;
    const kind = job.kind as SlaAlertKind;
    const clock = calledFor(await this.repo.caseForSla(job.caseId), job);
    if (!clock) return; // met, paused, closed, or rescheduled
    const at = kind === SlaAlertKind.Breach ? clock.dueAt : clock.warnAt;
    const now = new Date();
    if (now < at) {
      // Not yet: a long wait is taken in steps (MAX_DELAY_MS), or another process's clock ran ahead. Look again then,
      // under an id of its own (this job's id is still taken while it runs).
      await this.enqueueCheck(job, at, now, `:${now.getTime()}`);
      return;
    }
    if (kind === SlaAlertKind.Warning && now >= clock.dueAt) return; // the breach says it
    // Checked again with the case locked: a reply committing meanwhile either came first (nothing raised) or waits,
    // and its recomputation then finds the alert and clears it.
    const raised = await this.db.transaction(async (tx) => {
      if (!calledFor(await this.repo.caseForSla(job.caseId, tx.manager, { share: true }), job)) return undefined;
      const alert = await this.repo.raise(tx.manager, job.caseId, target, kind, clock.dueAt);
      if (alert && kind === SlaAlertKind.Breach) await this.repo.supersedeWarning(tx.manager, job.caseId, target);
      return alert;
    });
    if (!raised) return;
    const view = await this.repo.alertView(raised.id);
    if (!view) return;
    this.logger.log(`${kind} on ${view.reference}: ${target} due ${view.due_at.toISOString()}`);
    pushToConsole(this.realtime, [supervisorRoom(view.department_id)], 'sla:alert', toSlaAlertView(view));
    if (this.slack.hasChannel(view.department_slug)) await this.jobs.enqueue(JobName.SlaSlack, { alertId: view.id }, { jobId: `sla-slack:${view.id}` });
  }

  @OnJob(JobName.SlaSlack)
  async handleSlack({ alertId }: JobOf<JobName.SlaSlack>): Promise<void> {
    const view = await this.repo.alertView(alertId, { current: true });
    if (!view) return; // cleared meanwhile (answered, resolved): old news
    try {
      await this.slack.postToDepartment(view.department_slug, this.slackText(view));
    } catch (e) {
      if (e instanceof PermanentDeliveryError) throw new PermanentJobError(e.message);
      throw e;
    }
  }

  /** Alerts whose due time passed without one (their job was lost): raised now, through the same job. */
  @OnJob(JobName.SlaSweep)
  async handleSweep(): Promise<void> {
    for (const row of await this.repo.overdueWithoutAlert(SWEEP_BATCH)) {
      const job = { caseId: row.case_id, target: row.target, kind: row.kind, dueAt: new Date(row.due_at).toISOString() };
      await this.jobs.enqueue(JobName.SlaCheck, job, { jobId: `${checkJobId(row.case_id, row.target, row.kind, new Date(row.due_at))}:sweep` });
    }
  }

  /** Current alerts on open cases the actor may see (supervisors: their departments'; admins: all), newest first. */
  async listCurrent(actor: Actor, departmentKey?: string): Promise<SlaAlertView[]> {
    if (actor.role === AgentRole.Agent) throw HubError.forbidden('Only supervisors and admins see SLA alerts');
    let departmentId: string | null = null;
    if (departmentKey) {
      const department = await this.departments.getBySlugOrId(departmentKey).catch((e: unknown) => {
        if (e instanceof HubError) return undefined; // no such department
        throw e;
      });
      if (!department || (actor.role !== AgentRole.Admin && !actor.departmentIds.includes(department.id))) throw HubError.notFound('Department', departmentKey);
      departmentId = department.id;
    }
    return (await this.repo.listCurrent(caseScope(actor), departmentId, BREACHES_LIMIT)).map(toSlaAlertView);
  }

  /**
   * Current alerts the case no longer calls for are cleared (answered, resolved, or the due time moved away); one
   * that still applies follows its target's new due time.
   */
  private async settleAlerts(c: SlaCaseRow, now = new Date()): Promise<void> {
    if (!c.has_alerts) return;
    const alerts = await this.repo.currentAlerts(c.id);
    if (!alerts.length) return;
    const schedule = scheduleFromRow(c);
    for (const alert of alerts) {
      const clock = schedule?.[alert.target];
      const reason = clock ? clearReason(c, alert.target, alert.kind, alertDue(clock, c.sla_paused_since ?? now)) : 'moved';
      if (reason) await this.repo.clear([alert.id], reason);
      else if (alert.due_at.getTime() !== clock!.dueAt.getTime()) await this.repo.moveDue(alert.id, clock!.dueAt);
    }
  }

  private async enqueueChecks(c: SlaCaseRow, now: Date): Promise<void> {
    const schedule = scheduleFromRow(c);
    if (!schedule) return;
    for (const target of TARGETS) {
      if (!running(c, target)) continue;
      const clock = schedule[target];
      for (const kind of KINDS) {
        await this.enqueueCheck({ caseId: c.id, target, kind, dueAt: clock.dueAt.toISOString() }, kind === SlaAlertKind.Breach ? clock.dueAt : clock.warnAt, now);
      }
    }
  }

  private enqueueCheck(job: JobOf<JobName.SlaCheck>, at: Date, now: Date, idSuffix = ''): Promise<void> {
    const jobId = `${checkJobId(job.caseId, job.target as SlaTarget, job.kind as SlaAlertKind, new Date(job.dueAt))}${idSuffix}`;
    return this.jobs.enqueue(JobName.SlaCheck, job, { jobId, delayMs: Math.min(MAX_DELAY_MS, Math.max(0, at.getTime() - now.getTime())) });
  }

  /** Consoles showing the case learn its new clocks (`sla:updated`: the case's version did not change). */
  private pushClocks(c: SlaCaseRow, next: SlaColumns): void {
    if (!this.realtime.anyoneListening(CONSOLE_NAMESPACE)) return;
    const sla = toSlaView({ ...c, ...columnsOf(next) });
    pushToConsole(this.realtime, [Rooms.department(c.department_id), Rooms.case(c.id)], 'sla:updated', { caseId: c.id, version: c.version, sla });
  }

  private slackText(a: SlaAlertViewRow): string {
    const what = a.target === SlaTarget.FirstResponse ? 'first response' : 'resolution';
    const due = a.due_at.toLocaleString('en-GB', { timeZone: this.config.calendarFor(a.department_slug).timeZone, dateStyle: 'medium', timeStyle: 'short' });
    const link = `${(this.env.PUBLIC_BASE_URL ?? `http://localhost:${this.env.PORT}`).replace(/\/$/, '')}/console?case=${a.case_id}`;
    const head =
      a.kind === SlaAlertKind.Breach
        ? `:rotating_light: *SLA breached*: ${a.reference} missed its ${what} target (due ${due})`
        : `:warning: *SLA warning*: ${a.reference} has used ${Math.round(this.config.warningAt * 100)} % of its ${what} target (due ${due})`;
    return `${head}\nOwner: ${a.assignee_name ?? 'nobody (waiting in the queue)'} · <${link}|Open in the console>`;
  }
}

/** The alert job of one case, target, kind and due time: a new due time is a new job, the old one finds itself stale. */
function checkJobId(caseId: string, target: SlaTarget, kind: SlaAlertKind, dueAt: Date): string {
  return `sla:${caseId}:${target}:${kind}:${dueAt.getTime()}`;
}

/** Whether a target's clock runs: the case is being worked (not paused, resolved or closed) and the target is unmet. */
function running(c: SlaCaseRow, target: SlaTarget): boolean {
  return (c.status === CaseStatus.New || c.status === CaseStatus.Open) && !c.sla_paused_since && !metAt(target, c);
}

/** Why a current alert no longer applies (undefined: it does). `due` is what the target's clock calls for now. */
function clearReason(c: SlaCaseRow, target: SlaTarget, kind: SlaAlertKind, due: SlaAlertKind | null): ClearReason | undefined {
  if (c.status === CaseStatus.Closed) return 'closed';
  if (c.status === CaseStatus.Resolved) return 'resolved';
  if (metAt(target, c)) return 'met';
  // A warning past the due time stays until the breach job supersedes it.
  if (due === kind || (due === SlaAlertKind.Breach && kind === SlaAlertKind.Warning)) return undefined;
  return 'moved';
}

/** The clock an alert job is for, if the case still runs it with the job's due time. */
function calledFor(c: SlaCaseRow | undefined, job: JobOf<JobName.SlaCheck>): TargetClock | undefined {
  const target = job.target as SlaTarget;
  const clock = c && running(c, target) ? scheduleFromRow(c)?.[target] : undefined;
  return clock && clock.dueAt.getTime() === Date.parse(job.dueAt) ? clock : undefined;
}

function scheduleFromRow(c: SlaCaseRow): Schedule | undefined {
  if (!c.sla_first_response_due_at || !c.sla_first_response_warn_at || !c.sla_resolution_due_at || !c.sla_resolution_warn_at) return undefined;
  return {
    [SlaTarget.FirstResponse]: { dueAt: new Date(c.sla_first_response_due_at), warnAt: new Date(c.sla_first_response_warn_at) },
    [SlaTarget.Resolution]: { dueAt: new Date(c.sla_resolution_due_at), warnAt: new Date(c.sla_resolution_warn_at) },
  };
}

function toPauses(raw: Array<[string, string]> | null): Pause[] {
  return (raw ?? []).map(([from, to]) => ({ from: new Date(from), to: new Date(to) }));
}

function columnsOf(next: SlaColumns): Partial<SlaCaseRow> {
  return {
    sla_first_response_due_at: next.firstResponseDueAt,
    sla_first_response_warn_at: next.firstResponseWarnAt,
    sla_resolution_due_at: next.resolutionDueAt,
    sla_resolution_warn_at: next.resolutionWarnAt,
    sla_paused_since: next.pausedSince,
    sla_pauses: next.pauses,
    sla_policy: next.policy,
  };
}

function sameClocks(c: SlaCaseRow, next: SlaColumns): boolean {
  const same = (a: Date | null, b: Date | null) => (a === null || b === null ? a === b : new Date(a).getTime() === b.getTime());
  return (
    same(c.sla_first_response_due_at, next.firstResponseDueAt) &&
    same(c.sla_first_response_warn_at, next.firstResponseWarnAt) &&
    same(c.sla_resolution_due_at, next.resolutionDueAt) &&
    same(c.sla_resolution_warn_at, next.resolutionWarnAt) &&
    same(c.sla_paused_since, next.pausedSince) &&
    c.sla_policy === next.policy &&
    JSON.stringify(c.sla_pauses ?? []) === JSON.stringify(next.pauses)
  );
}
