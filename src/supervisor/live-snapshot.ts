import {
  AgentLoad,
  AgentsByPresence,
  averageSpeedOfAnswer,
  DepartmentSnapshot,
  Kpis,
  LiveSnapshot,
  roundSeconds,
  serviceLevel,
} from './kpi-definitions';
import type { LiveRows, OpenFigures, PeriodFigures } from './supervisor-metrics.repository';

/**
 * Turns the rows of one live query into the snapshot of one scope (a set of departments). Only sums, maxima and
 * the ratios of kpi-definitions.ts happen here; every count comes from the SQL.
 */
export function buildSnapshot(rows: LiveRows, scope: string[], scopeIndex: number): LiveSnapshot {
  const inScope = new Set(scope);
  const agents = rows.agents
    .filter((a) => a.department_ids.some((id) => inScope.has(id)))
    .map((a): AgentLoad => ({ id: a.id, name: a.name, role: a.role, presence: a.presence, capacity: a.capacity, load: a.load, departmentIds: a.department_ids.filter((id) => inScope.has(id)) }));
  const departments = rows.departments.filter((d) => inScope.has(d.id)).map((d) => departmentSnapshot(rows, d, agents));
  const openInScope = rows.open.filter((o) => inScope.has(o.department_id));
  return {
    at: iso(rows.at),
    workingDayStart: iso(rows.day_start),
    totals: kpis(sumOpen(openInScope), rows.scopes.find((s) => s.scope === scopeIndex), agents),
    departments,
    agents,
  };
}

function departmentSnapshot(rows: LiveRows, d: LiveRows['departments'][number], agents: AgentLoad[]): DepartmentSnapshot {
  const open = rows.open.filter((o) => o.department_id === d.id);
  const today = rows.today.filter((t) => t.department_id === d.id);
  const staff = agents.filter((a) => a.departmentIds.includes(d.id));
  const channels = [...new Set([...open.map((o) => o.channel), ...today.filter((t) => !t.department_row).map((t) => t.channel as string)])].sort();
  return {
    departmentId: d.id,
    slug: d.slug,
    name: d.name,
    answerTargetSeconds: d.answer_target_seconds,
    totals: kpis(sumOpen(open), today.find((t) => t.department_row), staff),
    // A channel row shows the department's agents: agents are not per channel.
    channels: channels.map((channel) => ({
      channel,
      kpis: kpis(sumOpen(open.filter((o) => o.channel === channel)), today.find((t) => !t.department_row && t.channel === channel), staff),
    })),
  };
}

function kpis(open: OpenFigures, today: PeriodFigures | undefined, agents: AgentLoad[]): Kpis {
  const t = today ?? NO_PERIOD;
  return {
    waiting: open.waiting,
    longestWaitSeconds: open.longest_wait_seconds === null ? null : roundSeconds(Math.max(0, open.longest_wait_seconds)),
    inProgress: open.in_progress,
    pendingOnResident: open.pending,
    agentsByPresence: byPresence(agents),
    offeredToday: t.offered,
    answeredToday: t.answered,
    answeredWithinTargetToday: t.within_target,
    serviceLevel: serviceLevel(t.within_target, t.offered),
    averageSpeedOfAnswerSeconds: averageSpeedOfAnswer(t.sum_response_seconds, t.answered),
    firstResponseSeconds: { p50: seconds(t.p50), p90: seconds(t.p90) },
    abandonedToday: t.abandoned,
    abandonedUnder5sToday: t.short_abandoned,
    backlogAgeBands: { underOneDay: open.band0, oneToThreeDays: open.band1, threeToTenDays: open.band2, overTenDays: open.band3 },
  };
}

/** Queue figures add up across channels and departments; the longest wait is the longest of them. */
function sumOpen(rows: OpenFigures[]): OpenFigures {
  const total: OpenFigures = { waiting: 0, longest_wait_seconds: null, in_progress: 0, pending: 0, band0: 0, band1: 0, band2: 0, band3: 0 };
  for (const r of rows) {
    total.waiting += r.waiting;
    total.in_progress += r.in_progress;
    total.pending += r.pending;
    total.band0 += r.band0;
    total.band1 += r.band1;
    total.band2 += r.band2;
    total.band3 += r.band3;
    if (r.longest_wait_seconds !== null) total.longest_wait_seconds = Math.max(total.longest_wait_seconds ?? 0, r.longest_wait_seconds);
  }
  return total;
}

function byPresence(agents: AgentLoad[]): AgentsByPresence {
  const counts: AgentsByPresence = { available: 0, busy: 0, away: 0, offline: 0 };
  for (const a of agents) if (a.presence in counts) counts[a.presence as keyof AgentsByPresence]++;
  return counts;
}

const NO_PERIOD: PeriodFigures = { offered: 0, answered: 0, within_target: 0, sum_response_seconds: 0, abandoned: 0, short_abandoned: 0, resolved: 0, p50: null, p90: null };

function seconds(v: number | null): number | null {
  return v === null ? null : roundSeconds(v);
}

function iso(v: string | Date): string {
  return new Date(v).toISOString();
}
