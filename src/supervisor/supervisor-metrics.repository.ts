import { Injectable } from '@nestjs/common';
import { Db } from '../database/db';
import { HistoryBucket, METRICS_TIME_ZONE, SHORT_ABANDON_SECONDS } from './kpi-definitions';

/**
 * The SQL of the supervisor's figures (definitions in kpi-definitions.ts, docs/metrics.md). Each formula is written
 * once below and used by both the live snapshot and the history:
 * - CASE_FACTS: what one case contributes (offered, answered, abandoned, …), from "case" c joined to department d;
 * - PERIOD_AGGREGATES: the period figures over those facts (f);
 * - OPEN_GROUPS and OPEN_AGGREGATES: the queue figures over open cases.
 * Ratios (service level, average speed of answer) are derived from these counts and sums in kpi-definitions.ts.
 *
 * The live snapshot never reads the message table: everything comes from columns of "case" kept by the hub
 * (first_response_at, abandoned_at, status, assignee_id), through two covering indexes (migration 1764231100000).
 */

const TZ = `'${METRICS_TIME_ZONE}'`;

const ABANDONED = `(c.abandoned_at IS NOT NULL AND (c.first_response_at IS NULL OR c.first_response_at > c.abandoned_at))`;
const ANSWERED = `(c.first_response_at IS NOT NULL AND NOT ${ABANDONED})`;

/** One row per case: the facts the period formulas count. */
const CASE_FACTS = `
  c.department_id, c.channel, c.created_at,
  ${ABANDONED} AND c.abandoned_at - c.created_at < interval '${SHORT_ABANDON_SECONDS} seconds' AS short_abandon,
  ${ABANDONED} AND c.abandoned_at - c.created_at >= interval '${SHORT_ABANDON_SECONDS} seconds' AS abandoned,
  ${ANSWERED} AS answered,
  ${ANSWERED} AND c.first_response_at - c.created_at <= make_interval(secs => d.answer_target_seconds) AS within_target,
  CASE WHEN ${ANSWERED} THEN extract(epoch FROM c.first_response_at - c.created_at) END AS response_seconds,
  c.status IN ('resolved', 'closed') AS resolved`;

/** The period figures over CASE_FACTS rows `f`. */
const PERIOD_AGGREGATES = `
  count(*) FILTER (WHERE NOT f.short_abandon)::int AS offered,
  count(*) FILTER (WHERE f.answered)::int AS answered,
  count(*) FILTER (WHERE f.within_target)::int AS within_target,
  coalesce(sum(f.response_seconds), 0)::float8 AS sum_response_seconds,
  count(*) FILTER (WHERE f.abandoned)::int AS abandoned,
  count(*) FILTER (WHERE f.short_abandon)::int AS short_abandoned,
  count(*) FILTER (WHERE f.resolved)::int AS resolved,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY f.response_seconds) AS p50,
  percentile_cont(0.9) WITHIN GROUP (ORDER BY f.response_seconds) AS p90`;

/**
 * The queue figures, in two steps so each open case costs one hash lookup: OPEN_GROUPS counts open cases `c` (status
 * new, open or pending, created by p.at) per department, channel, status, assigned or not, and backlog band (limits
 * d.cut1/3/10, from the department's calendar); OPEN_AGGREGATES turns those groups `g` into the figures.
 */
const OPEN_GROUPS = `
  c.department_id, c.channel, c.status, c.assignee_id IS NULL AS unassigned,
  CASE WHEN c.created_at >= d.cut1 THEN 0 WHEN c.created_at >= d.cut3 THEN 1 WHEN c.created_at >= d.cut10 THEN 2 ELSE 3 END AS band,
  count(*) AS n, min(c.created_at) AS oldest`;

const WAITING = `(g.status = 'new' AND g.unassigned)`;

const OPEN_AGGREGATES = `
  coalesce(sum(g.n) FILTER (WHERE ${WAITING}), 0)::int AS waiting,
  extract(epoch FROM p.at - min(g.oldest) FILTER (WHERE ${WAITING}))::float8 AS longest_wait_seconds,
  coalesce(sum(g.n) FILTER (WHERE g.status = 'open' OR (g.status = 'new' AND NOT g.unassigned)), 0)::int AS in_progress,
  coalesce(sum(g.n) FILTER (WHERE g.status = 'pending'), 0)::int AS pending,
  coalesce(sum(g.n) FILTER (WHERE g.band = 0), 0)::int AS band0,
  coalesce(sum(g.n) FILTER (WHERE g.band = 1), 0)::int AS band1,
  coalesce(sum(g.n) FILTER (WHERE g.band = 2), 0)::int AS band2,
  coalesce(sum(g.n) FILTER (WHERE g.band = 3), 0)::int AS band3`;

const OPEN_STATUSES = `c.status IN ('new', 'open', 'pending')`;

/** The SQL of one history bucket's start, per bucket: a fixed list, never text from the request. */
const BUCKET_START: Record<HistoryBucket, string> = {
  '15m': `date_bin('15 minutes', f.created_at, timestamptz '2000-01-01 00:00:00+00')`,
  hour: `date_trunc('hour', f.created_at, ${TZ})`,
  day: `date_trunc('day', f.created_at, ${TZ})`,
};

export interface PeriodFigures {
  offered: number;
  answered: number;
  within_target: number;
  sum_response_seconds: number;
  abandoned: number;
  short_abandoned: number;
  resolved: number;
  p50: number | null;
  p90: number | null;
}

export interface OpenFigures {
  waiting: number;
  longest_wait_seconds: number | null;
  in_progress: number;
  pending: number;
  band0: number;
  band1: number;
  band2: number;
  band3: number;
}

export interface LiveRows {
  at: string;
  day_start: string;
  departments: Array<{ id: string; slug: string; name: string; answer_target_seconds: number }>;
  open: Array<OpenFigures & { department_id: string; channel: string }>;
  /** department_row: the department's total (channel null); otherwise one channel of it. */
  today: Array<PeriodFigures & { department_id: string; channel: string | null; department_row: boolean }>;
  /** Today's figures over each requested scope, by its position (1-based) in the request. */
  scopes: Array<PeriodFigures & { scope: number }>;
  agents: Array<{ id: string; name: string; role: string; presence: string; capacity: number; load: number; department_ids: string[] }>;
}

export interface LiveQuery {
  at: Date;
  /** Today's local date. */
  today: string;
  /** The departments to report on, each with the local dates that start its backlog bands of 1, 3 and 10 working days. */
  departments: Array<{ id: string; cutoffs: string[] }>;
  /** Sets of departments to total today's figures over (percentiles do not add up, so each set is its own). */
  scopes: string[][];
}

export interface HistoryQuery {
  from: Date;
  to: Date;
  bucket: HistoryBucket;
  departmentIds: string[] | null;
}

export type HistoryDbRow = PeriodFigures & { start: Date; department_id: string; channel: string };

@Injectable()
export class SupervisorMetricsRepository {
  constructor(private readonly db: Db) {}

  /** The whole live snapshot for every department asked, in one statement (one round trip). */
  async live(q: LiveQuery): Promise<LiveRows> {
    const rows = await this.db.manager.query(
      `WITH p AS (SELECT $1::timestamptz AS at, $2::date::timestamp AT TIME ZONE ${TZ} AS day_start),
       d AS (
         SELECT d.id, d.slug, d.name, d.answer_target_seconds,
                x.cut1::timestamp AT TIME ZONE ${TZ} AS cut1, x.cut3::timestamp AT TIME ZONE ${TZ} AS cut3,
                x.cut10::timestamp AT TIME ZONE ${TZ} AS cut10
         FROM department d JOIN unnest($3::uuid[], $4::date[], $5::date[], $6::date[]) AS x(id, cut1, cut3, cut10) ON x.id = d.id
       ),
       open_groups AS (
         SELECT ${OPEN_GROUPS}
         FROM "case" c JOIN d ON d.id = c.department_id CROSS JOIN p
         WHERE ${OPEN_STATUSES} AND c.created_at <= p.at
         GROUP BY 1, 2, 3, 4, 5
       ),
       open_rows AS (
         SELECT g.department_id, g.channel, ${OPEN_AGGREGATES}
         FROM open_groups g CROSS JOIN p
         GROUP BY g.department_id, g.channel, p.at
       ),
       f AS (
         SELECT ${CASE_FACTS}
         FROM "case" c JOIN d ON d.id = c.department_id CROSS JOIN p
         WHERE c.created_at >= p.day_start AND c.created_at <= p.at
       ),
       today_rows AS (
         SELECT f.department_id, f.channel, GROUPING(f.channel) = 1 AS department_row, ${PERIOD_AGGREGATES}
         FROM f GROUP BY GROUPING SETS ((f.department_id, f.channel), (f.department_id))
       ),
       scope_rows AS (
         SELECT s.scope::int AS scope, ${PERIOD_AGGREGATES}
         FROM unnest($7::text[]) WITH ORDINALITY AS s(ids, scope)
         JOIN f ON f.department_id::text = ANY(string_to_array(s.ids, ','))
         GROUP BY s.scope
       ),
       loads AS (
         SELECT c.assignee_id, count(*)::int AS load FROM "case" c
         WHERE c.status IN ('open', 'pending') AND c.assignee_id IS NOT NULL GROUP BY c.assignee_id
       ),
       agents AS (
         SELECT a.id, a.name, a.role, a.presence, a.capacity, coalesce(l.load, 0) AS load,
                array(SELECT ad.department_id FROM agent_department ad WHERE ad.agent_id = a.id ORDER BY ad.department_id) AS department_ids
         FROM agent a LEFT JOIN loads l ON l.assignee_id = a.id
         WHERE a.active AND EXISTS (SELECT 1 FROM agent_department ad WHERE ad.agent_id = a.id AND ad.department_id IN (SELECT id FROM d))
         ORDER BY a.name, a.id
       )
       SELECT json_build_object(
         'at', (SELECT at FROM p), 'day_start', (SELECT day_start FROM p),
         'departments', (SELECT coalesce(json_agg(json_build_object('id', d.id, 'slug', d.slug, 'name', d.name, 'answer_target_seconds', d.answer_target_seconds)
                                          ORDER BY d.name, d.id), '[]') FROM d),
         'open', (SELECT coalesce(json_agg(o), '[]') FROM open_rows o),
         'today', (SELECT coalesce(json_agg(t), '[]') FROM today_rows t),
         'scopes', (SELECT coalesce(json_agg(s), '[]') FROM scope_rows s),
         'agents', (SELECT coalesce(json_agg(a), '[]') FROM agents a)
       ) AS snapshot`,
      [
        q.at,
        q.today,
        q.departments.map((d) => d.id),
        q.departments.map((d) => d.cutoffs[0]),
        q.departments.map((d) => d.cutoffs[1]),
        q.departments.map((d) => d.cutoffs[2]),
        q.scopes.map((s) => s.join(',')),
      ],
    );
    return rows[0].snapshot as LiveRows;
  }

  /** The period figures of the cases created in [from, to), per bucket × department × channel (empty ones left out). */
  async history(q: HistoryQuery): Promise<HistoryDbRow[]> {
    return this.db.manager.query(
      `SELECT ${BUCKET_START[q.bucket]} AS start, f.department_id, f.channel, ${PERIOD_AGGREGATES}
       FROM (SELECT ${CASE_FACTS}
             FROM "case" c JOIN department d ON d.id = c.department_id
             WHERE c.created_at >= $1 AND c.created_at < $2 AND ($3::uuid[] IS NULL OR c.department_id = ANY($3::uuid[]))) f
       GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
      [q.from, q.to, q.departmentIds],
    );
  }
}
