import { Injectable } from '@nestjs/common';
import type { Actor } from '../auth/actor';
import { AgentRole } from '../common/enum';
import { HubError } from '../common/errors';
import { DepartmentsService } from '../departments/departments.service';
import { SlaConfig } from '../sla/sla-config';
import { backlogCutoffs, localDate } from './backlog-age';
import { averageSpeedOfAnswer, History, HistoryBucket, HistoryRow, LiveSnapshot, METRICS_TIME_ZONE, roundSeconds, serviceLevel } from './kpi-definitions';
import { buildSnapshot } from './live-snapshot';
import { HistoryQueryDto } from './supervisor-metrics.dto';
import { HistoryDbRow, SupervisorMetricsRepository } from './supervisor-metrics.repository';

/** The longest period one history request may cover, per bucket (about 3,000 buckets at most). */
const HISTORY_MAX_DAYS: Record<HistoryBucket, number> = { '15m': 31, hour: 124, day: 3 * 366 };
const DAY_MS = 86_400_000;

/**
 * The supervisor's figures (docs/metrics.md): the live snapshot and the history, each scoped to the departments the
 * caller may see (admins: all). Supervisors and admins only; agents see their queue in the console instead.
 */
@Injectable()
export class SupervisorMetricsService {
  private catalogue?: { at: number; departments: Array<{ id: string; slug: string }> };

  constructor(
    private readonly metrics: SupervisorMetricsRepository,
    private readonly departments: DepartmentsService,
    private readonly sla: SlaConfig,
  ) {}

  async live(actor: Actor, at = new Date()): Promise<LiveSnapshot> {
    assertSupervisor(actor);
    const [snapshot] = await this.liveFor([await this.scopeOf(actor)], at);
    return snapshot;
  }

  /**
   * The snapshots of several scopes (sets of department ids) from one query: the push computes once per tick
   * whatever the number of supervisors. `at` is the moment the figures are for (now, except in tests).
   */
  async liveFor(scopes: string[][], at = new Date()): Promise<LiveSnapshot[]> {
    const today = localDate(at);
    const wanted = new Set(scopes.flat());
    const departments = (await this.catalogueDepartments()).filter((d) => wanted.has(d.id));
    // Backlog age counts the working days of each department's own calendar (config/opening-hours.yaml: hours, bank holidays).
    const withCutoffs = departments.map((d) => ({ id: d.id, cutoffs: backlogCutoffs(today, (date) => this.sla.calendarFor(d.slug).isWorkingDay(date)) }));
    const rows = await this.metrics.live({ at, today, departments: withCutoffs, scopes });
    return scopes.map((scope, i) => buildSnapshot(rows, scope, i + 1));
  }

  /** Every department's snapshot, for the Prometheus gauges. */
  async allDepartments(at = new Date()): Promise<LiveSnapshot> {
    const [snapshot] = await this.liveFor([(await this.catalogueDepartments()).map((d) => d.id)], at);
    return snapshot;
  }

  async history(actor: Actor, query: HistoryQueryDto): Promise<History> {
    assertSupervisor(actor);
    const from = parseTime(query.from, 'from');
    const to = parseTime(query.to, 'to');
    const bucket = query.bucket ?? 'hour';
    if (to.getTime() <= from.getTime()) throw HubError.validation('to must be after from', { field: 'to' });
    if (to.getTime() - from.getTime() > HISTORY_MAX_DAYS[bucket] * DAY_MS) {
      throw HubError.validation(`from and to may be at most ${HISTORY_MAX_DAYS[bucket]} days apart with bucket ${bucket}`, { field: 'to' });
    }
    const rows = await this.metrics.history({ from, to, bucket, departmentIds: this.historyScope(actor, query.departmentId) });
    return { bucket, from: from.toISOString(), to: to.toISOString(), rows: rows.map(toHistoryRow) };
  }

  /** The department ids a supervisor socket or request may see: an admin's are every department. */
  async scopeOf(actor: Actor): Promise<string[]> {
    return actor.role === AgentRole.Admin ? (await this.catalogueDepartments()).map((d) => d.id) : [...actor.departmentIds];
  }

  /** Departments change only when the catalogue is synced at start-up: read them at most once a minute. */
  private async catalogueDepartments(): Promise<Array<{ id: string; slug: string }>> {
    if (!this.catalogue || Date.now() - this.catalogue.at > 60_000) {
      this.catalogue = { at: Date.now(), departments: (await this.departments.list()).map((d) => ({ id: d.id, slug: d.slug })) };
    }
    return this.catalogue.departments;
  }

  private historyScope(actor: Actor, departmentId: string | undefined): string[] | null {
    const mine = actor.role === AgentRole.Admin ? null : actor.departmentIds;
    if (!departmentId) return mine;
    if (mine && !mine.includes(departmentId)) throw HubError.forbidden(`departmentId: you may not see the figures of department ${departmentId}`);
    return [departmentId];
  }
}

export function assertSupervisor(actor: Actor): void {
  if (actor.role !== AgentRole.Supervisor && actor.role !== AgentRole.Admin) {
    throw HubError.forbidden(`Queue metrics are for supervisors and admins; you are signed in as ${actor.role}`);
  }
}

function toHistoryRow(r: HistoryDbRow): HistoryRow {
  return {
    start: new Date(r.start).toISOString(),
    departmentId: r.department_id,
    channel: r.channel,
    offered: r.offered,
    answered: r.answered,
    answeredWithinTarget: r.within_target,
    serviceLevel: serviceLevel(r.within_target, r.offered),
    averageSpeedOfAnswerSeconds: averageSpeedOfAnswer(r.sum_response_seconds, r.answered),
    abandoned: r.abandoned,
    abandonedUnder5s: r.short_abandoned,
    resolved: r.resolved,
    firstResponseP50Seconds: r.p50 === null ? null : roundSeconds(r.p50),
    firstResponseP90Seconds: r.p90 === null ? null : roundSeconds(r.p90),
  };
}

/** An ISO 8601 time, or a date meaning its midnight in London. */
function parseTime(value: string, field: string): Date {
  const date = value.slice(0, 10);
  // JavaScript rolls 30 February over into March: check the calendar date exists before trusting the parse.
  const real = !Number.isNaN(Date.parse(`${date}T00:00:00Z`)) && new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) === date;
  const at = value.length === 10 ? londonMidnight(value) : new Date(value);
  if (!real || Number.isNaN(at.getTime())) throw HubError.validation(`${field} is not a real date or time: ${value}`, { field });
  return at;
}

/** Midnight of a date in London (UK clocks change at 01:00 UTC, so midnight always exists and is unique). */
function londonMidnight(date: string): Date {
  const utcMidnight = new Date(`${date}T00:00:00Z`);
  const zone = new Intl.DateTimeFormat('en-GB', { timeZone: METRICS_TIME_ZONE, timeZoneName: 'shortOffset' }).formatToParts(utcMidnight);
  const offset = zone.find((p) => p.type === 'timeZoneName')?.value ?? 'GMT';
  const hours = Number(offset.replace('GMT', '') || '0');
  return new Date(utcMidnight.getTime() - hours * 3_600_000);
}
