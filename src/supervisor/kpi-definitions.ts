/**
 * The supervisor's figures, defined once: the live snapshot, the history, docs/metrics.md (which quotes every
 * `definition` below word for word; a spec checks it) and the /supervisor page's help text all read this module.
 * It is plain TypeScript with no imports, so the browser bundle can import it too.
 *
 * The SQL that computes each figure lives in supervisor-metrics.repository.ts, one fragment per formula, shared by
 * the live snapshot and the history.
 */

/** "Today" is the calendar day in this time zone: from local midnight to now. */
export const METRICS_TIME_ZONE = 'Europe/London';

/** A resident who left within this many seconds of arriving was probably not waiting for anyone. */
export const SHORT_ABANDON_SECONDS = 5;

/** Backlog age band limits, in working days. */
export const BACKLOG_BAND_LIMITS = [1, 3, 10] as const;

export type KpiKey =
  | 'waiting'
  | 'longestWait'
  | 'inProgress'
  | 'pendingOnResident'
  | 'agentsByPresence'
  | 'offered'
  | 'answered'
  | 'answeredWithinTarget'
  | 'serviceLevel'
  | 'averageSpeedOfAnswer'
  | 'firstResponse'
  | 'abandoned'
  | 'abandonedUnder5s'
  | 'resolved'
  | 'backlogAgeBands';

export interface KpiDefinition {
  /** The tile's name. */
  label: string;
  /** The exact definition: the page's help text and the line in docs/metrics.md. */
  definition: string;
}

/**
 * Every figure's definition. Terms used throughout: a case is **created** when the resident's first message
 * arrives (created_at); its **first response** is the first staff reply on it (first_response_at); a case is
 * **abandoned** when the resident left a web chat before any answer (abandoned_at set, and no first response before
 * it). "Today" figures are about the cases created today; history figures are about the cases created in the bucket.
 */
export const KPI_DEFINITIONS: Record<KpiKey, KpiDefinition> = {
  waiting: {
    label: 'Waiting',
    definition: 'Cases with status new and no assignee: in the queue, not yet claimed by anyone.',
  },
  longestWait: {
    label: 'Longest wait',
    definition: 'Now minus the creation time of the oldest waiting case (from the resident’s first message); empty when nothing waits.',
  },
  inProgress: {
    label: 'In progress',
    definition: 'Cases with status open, plus new cases already assigned to an agent (offered to them, not yet opened).',
  },
  pendingOnResident: {
    label: 'Pending on resident',
    definition: 'Cases with status pending: the agent is waiting for the resident to answer.',
  },
  agentsByPresence: {
    label: 'Agents',
    definition: 'Active staff of the department (of your departments, for the totals) by the presence they set: available, busy, away or offline.',
  },
  offered: {
    label: 'Offered today',
    definition: 'Cases created in the period, except those abandoned within 5 seconds of arriving.',
  },
  answered: {
    label: 'Answered today',
    definition: 'Offered cases with a first response that came before any abandonment.',
  },
  answeredWithinTarget: {
    label: 'Answered within target',
    definition: 'Answered cases whose first response came at most the department’s answer target after creation (elapsed time, nights and weekends included).',
  },
  serviceLevel: {
    label: 'Service level today',
    definition: 'Answered within target divided by offered; empty when nothing was offered. Abandons within 5 seconds are in neither.',
  },
  averageSpeedOfAnswer: {
    label: 'Average speed of answer',
    definition: 'The mean of (first response − creation) over the answered cases; empty when none was answered.',
  },
  firstResponse: {
    label: 'First response time',
    definition: 'The 50th and 90th percentiles (p50, p90, interpolated) of (first response − creation) over the answered cases.',
  },
  abandoned: {
    label: 'Abandoned today',
    definition: 'Cases abandoned 5 seconds or more after creation: the resident left a web chat before any answer.',
  },
  abandonedUnder5s: {
    label: 'Abandoned within 5 s',
    definition: 'Cases abandoned less than 5 seconds after creation, counted apart and left out of offered.',
  },
  resolved: {
    label: 'Resolved',
    definition: 'Cases created in the period whose status is now resolved or closed.',
  },
  backlogAgeBands: {
    label: 'Backlog by age',
    definition:
      'Cases with status new, open or pending by age in working days since creation: under 1, 1 to 3, 3 to 10, 10 or more. A case’s age is the number of working days after the day it was created, up to and including today; working days are the department’s in config/opening-hours.yaml (by default Monday to Friday except England and Wales bank holidays).',
  },
};

export interface AgentsByPresence {
  available: number;
  busy: number;
  away: number;
  offline: number;
}

export interface BacklogAgeBands {
  underOneDay: number;
  oneToThreeDays: number;
  threeToTenDays: number;
  overTenDays: number;
}

/** The tiles of one row of the snapshot: totals, a department, or a department's channel. */
export interface Kpis {
  waiting: number;
  longestWaitSeconds: number | null;
  inProgress: number;
  pendingOnResident: number;
  agentsByPresence: AgentsByPresence;
  offeredToday: number;
  answeredToday: number;
  answeredWithinTargetToday: number;
  /** 0..1 */
  serviceLevel: number | null;
  averageSpeedOfAnswerSeconds: number | null;
  firstResponseSeconds: { p50: number | null; p90: number | null };
  abandonedToday: number;
  abandonedUnder5sToday: number;
  backlogAgeBands: BacklogAgeBands;
}

export interface DepartmentSnapshot {
  departmentId: string;
  slug: string;
  name: string;
  answerTargetSeconds: number;
  totals: Kpis;
  channels: Array<{ channel: string; kpis: Kpis }>;
}

export interface AgentLoad {
  id: string;
  name: string;
  role: string;
  presence: string;
  capacity: number;
  /** Cases assigned to the agent with status open or pending. */
  load: number;
  departmentIds: string[];
}

export interface LiveSnapshot {
  at: string;
  /** Local midnight (Europe/London) that starts "today". */
  workingDayStart: string;
  totals: Kpis;
  departments: DepartmentSnapshot[];
  agents: AgentLoad[];
}

export type HistoryBucket = '15m' | 'hour' | 'day';

export const HISTORY_BUCKETS: readonly HistoryBucket[] = ['15m', 'hour', 'day'];

export interface HistoryRow {
  start: string;
  departmentId: string;
  channel: string;
  offered: number;
  answered: number;
  answeredWithinTarget: number;
  serviceLevel: number | null;
  averageSpeedOfAnswerSeconds: number | null;
  abandoned: number;
  abandonedUnder5s: number;
  resolved: number;
  firstResponseP50Seconds: number | null;
  firstResponseP90Seconds: number | null;
}

export interface History {
  bucket: HistoryBucket;
  from: string;
  to: string;
  rows: HistoryRow[];
}

/** Service level: answered within target ÷ offered, or null when nothing was offered. */
export function serviceLevel(answeredWithinTarget: number, offered: number): number | null {
  return offered > 0 ? answeredWithinTarget / offered : null;
}

/** Average speed of answer from the sum of the answered cases' first-response times, or null when none. */
export function averageSpeedOfAnswer(sumFirstResponseSeconds: number, answered: number): number | null {
  return answered > 0 ? roundSeconds(sumFirstResponseSeconds / answered) : null;
}

/** Durations are reported to the millisecond. */
export function roundSeconds(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
