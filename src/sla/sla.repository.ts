import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CaseScope } from '../auth/access';
import { BatchLoader, TurnBatcher } from '../common/batch-loader';
import { CasePriority, CaseStatus } from '../common/enum';
import { Db } from '../database/db';
import { SlaAlertKind, SlaTarget } from './sla-clock';

/** A case as the SLA clocks read it. */
export interface SlaCaseRow {
  id: string;
  reference: string;
  status: CaseStatus;
  priority: CasePriority;
  version: number;
  department_id: string;
  department_slug: string;
  lgsl: number | null;
  created_at: Date;
  updated_at: Date;
  first_response_at: Date | null;
  resolved_at: Date | null;
  closed_at: Date | null;
  sla_first_response_due_at: Date | null;
  sla_first_response_warn_at: Date | null;
  sla_resolution_due_at: Date | null;
  sla_resolution_warn_at: Date | null;
  sla_paused_since: Date | null;
  sla_pauses: Array<[string, string]>;
  sla_policy: string | null;
  /** Whether the case has a current alert (so a recomputation must look at its alerts). */
  has_alerts: boolean;
}

export interface SlaColumns {
  firstResponseDueAt: Date;
  firstResponseWarnAt: Date;
  resolutionDueAt: Date;
  resolutionWarnAt: Date;
  pausedSince: Date | null;
  pauses: Array<[string, string]>;
  policy: string;
}

export interface SlaAlertRow {
  id: string;
  case_id: string;
  target: SlaTarget;
  kind: SlaAlertKind;
  due_at: Date;
  raised_at: Date;
}

/** An alert with what a supervisor sees beside it. */
export interface SlaAlertViewRow extends SlaAlertRow {
  reference: string;
  department_id: string;
  department_slug: string;
  assignee_id: string | null;
  assignee_name: string | null;
}

export type ClearReason = 'met' | 'resolved' | 'closed' | 'moved' | 'superseded';

const ALERT_VIEW = `
  SELECT al.id, al.case_id, al.target, al.kind, al.due_at, al.raised_at, c.reference, c.department_id, d.slug AS department_slug,
         c.assignee_id, ag.name AS assignee_name
  FROM sla_alert al
  JOIN "case" c ON c.id = al.case_id
  JOIN department d ON d.id = c.department_id
  LEFT JOIN agent ag ON ag.id = c.assignee_id`;

const CASE_FOR_SLA = `
  SELECT c.id, c.reference, c.status, c.priority, c.version, c.department_id, d.slug AS department_slug, s.lgsl_id AS lgsl,
         c.created_at, c.updated_at, c.first_response_at, c.resolved_at, c.closed_at,
         c.sla_first_response_due_at, c.sla_first_response_warn_at, c.sla_resolution_due_at, c.sla_resolution_warn_at,
         c.sla_paused_since, c.sla_pauses, c.sla_policy,
         EXISTS (SELECT 1 FROM sla_alert al WHERE al.case_id = c.id AND al.cleared_at IS NULL) AS has_alerts
  FROM "case" c JOIN department d ON d.id = c.department_id LEFT JOIN service s ON s.id = c.service_id`;

/** The SLA's SQL: its columns of "case" (never the case's version or updated_at) and the sla_alert table. */
@Injectable()
export class SlaRepository {
  /** Cases asked for in one turn (the events of an intake batch) are read with one query. */
  private readonly cases = new BatchLoader<string, SlaCaseRow>(async (ids) => {
    const rows: SlaCaseRow[] = await this.db.manager.query(`${CASE_FOR_SLA} WHERE c.id = ANY($1::uuid[])`, [ids]);
    return new Map(rows.map((r) => [r.id, r]));
  });

  constructor(private readonly db: Db) {}

  /** The case as it is now, read together with the others asked for in this turn of the event loop. */
  loadForSla(caseId: string): Promise<SlaCaseRow | undefined> {
    return this.cases.load(caseId);
  }

  /** The case; `share` locks it against changes until the caller's transaction ends (raising an alert). */
  async caseForSla(caseId: string, m: EntityManager = this.db.manager, opts: { share?: boolean } = {}): Promise<SlaCaseRow | undefined> {
    const rows = await m.query(`${CASE_FOR_SLA} WHERE c.id = $1 ${opts.share ? 'FOR SHARE OF c' : ''}`, [caseId]);
    return rows[0];
  }

  /**
   * Writes the clocks only if the case is still at the version they were computed from: a later change has its own
   * event, whose recomputation wins. The case's version and updated_at stay as they are (this is not an edit).
   */
  writeClocks(caseId: string, version: number, c: SlaColumns): Promise<boolean> {
    return this.clockWrites.submit({ caseId, version, clocks: c });
  }

  /** The clock writes of one burst of case events (an intake group's new cases) in one statement, not one commit each. */
  private readonly clockWrites = new TurnBatcher<{ caseId: string; version: number; clocks: SlaColumns }, boolean>(async (writes) => {
    const column = <T>(f: (c: SlaColumns) => T) => writes.map((w) => f(w.clocks));
    const rows: Array<{ id: string }> = (
      await this.db.manager.query(
        `UPDATE "case" c SET sla_first_response_due_at = v.frd, sla_first_response_warn_at = v.frw, sla_resolution_due_at = v.rd,
                sla_resolution_warn_at = v.rw, sla_paused_since = v.ps, sla_pauses = v.pauses, sla_policy = v.policy
           FROM unnest($1::uuid[], $2::int[], $3::timestamptz[], $4::timestamptz[], $5::timestamptz[], $6::timestamptz[],
                       $7::timestamptz[], $8::jsonb[], $9::text[]) AS v(id, version, frd, frw, rd, rw, ps, pauses, policy)
          WHERE c.id = v.id AND c.version = v.version
          RETURNING c.id`,
        [
          writes.map((w) => w.caseId),
          writes.map((w) => w.version),
          column((c) => c.firstResponseDueAt),
          column((c) => c.firstResponseWarnAt),
          column((c) => c.resolutionDueAt),
          column((c) => c.resolutionWarnAt),
          column((c) => c.pausedSince),
          column((c) => JSON.stringify(c.pauses)),
          column((c) => c.policy),
        ],
      )
    )[0];
    const written = new Set(rows.map((r) => r.id));
    return writes.map((w) => written.has(w.caseId));
  });


  async currentAlerts(caseId: string, m: EntityManager = this.db.manager): Promise<SlaAlertRow[]> {
    return m.query(`SELECT id, case_id, target, kind, due_at, raised_at FROM sla_alert WHERE case_id = $1 AND cleared_at IS NULL`, [caseId]);
  }

  async clear(alertIds: string[], reason: ClearReason, m: EntityManager = this.db.manager): Promise<void> {
    if (!alertIds.length) return;
    await m.query(`UPDATE sla_alert SET cleared_at = now(), cleared_reason = $2 WHERE id = ANY($1::uuid[]) AND cleared_at IS NULL`, [alertIds, reason]);
  }

  async moveDue(alertId: string, dueAt: Date, m: EntityManager = this.db.manager): Promise<void> {
    await m.query(`UPDATE sla_alert SET due_at = $2 WHERE id = $1`, [alertId, dueAt]);
  }

  /** Raises an alert unless the same one is current already (then undefined: somebody else raised it). */
  async raise(m: EntityManager, caseId: string, target: SlaTarget, kind: SlaAlertKind, dueAt: Date): Promise<SlaAlertRow | undefined> {
    const rows = await m.query(
      `INSERT INTO sla_alert (case_id, target, kind, due_at) VALUES ($1, $2, $3, $4)
       ON CONFLICT (case_id, target, kind) WHERE cleared_at IS NULL DO NOTHING
       RETURNING id, case_id, target, kind, due_at, raised_at`,
      [caseId, target, kind, dueAt],
    );
    return rows[0];
  }

  /** A breach makes the target's warning history: it is cleared as superseded. */
  async supersedeWarning(m: EntityManager, caseId: string, target: SlaTarget): Promise<void> {
    await m.query(
      `UPDATE sla_alert SET cleared_at = now(), cleared_reason = 'superseded'
       WHERE case_id = $1 AND target = $2 AND kind = 'warning' AND cleared_at IS NULL`,
      [caseId, target],
    );
  }

  async alertView(alertId: string, opts: { current?: boolean } = {}): Promise<SlaAlertViewRow | undefined> {
    const rows = await this.db.manager.query(`${ALERT_VIEW} WHERE al.id = $1 ${opts.current ? 'AND al.cleared_at IS NULL' : ''}`, [alertId]);
    return rows[0];
  }

  /** Current alerts on open cases in the scope (their departments' and their own cases), newest first. */
  async listCurrent(scope: CaseScope, departmentId: string | null, limit: number): Promise<SlaAlertViewRow[]> {
    return this.db.manager.query(
      `${ALERT_VIEW}
       WHERE al.cleared_at IS NULL AND c.status IN ('new', 'open', 'pending')
         AND ($1::uuid[] IS NULL OR c.department_id = ANY($1::uuid[]) OR c.assignee_id = $2::uuid)
         AND ($3::uuid IS NULL OR c.department_id = $3::uuid)
       ORDER BY al.raised_at DESC, al.id
       LIMIT $4`,
      [scope.departmentIds, scope.agentId, departmentId, limit],
    );
  }

  /**
   * Open cases whose clocks ran out (warning or due) with no current alert of that kind: the sweep's safety net for
   * alert jobs lost with a process (in-process jobs do not survive a restart).
   */
  async overdueWithoutAlert(limit: number): Promise<Array<{ case_id: string; target: SlaTarget; kind: SlaAlertKind; due_at: Date }>> {
    return this.db.manager.query(
      `SELECT x.case_id, x.target, x.kind, x.due_at FROM (
         SELECT c.id AS case_id, t.target, t.kind, t.due_at, t.at
         FROM "case" c
         CROSS JOIN LATERAL (VALUES
           ('firstResponse', 'warning', c.sla_first_response_due_at, c.sla_first_response_warn_at, c.first_response_at IS NULL),
           ('firstResponse', 'breach', c.sla_first_response_due_at, c.sla_first_response_due_at, c.first_response_at IS NULL),
           ('resolution', 'warning', c.sla_resolution_due_at, c.sla_resolution_warn_at, true),
           ('resolution', 'breach', c.sla_resolution_due_at, c.sla_resolution_due_at, true)
         ) AS t(target, kind, due_at, at, running)
         WHERE c.status IN ('new', 'open') AND t.running AND t.at <= now()
           AND (t.kind = 'breach' OR t.due_at > now())
           AND NOT EXISTS (SELECT 1 FROM sla_alert al WHERE al.case_id = c.id AND al.target = t.target AND al.cleared_at IS NULL
                           AND (al.kind = t.kind OR al.kind = 'breach'))
       ) x
       ORDER BY x.at LIMIT $1`,
      [limit],
    );
  }
}
