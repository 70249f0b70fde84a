import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CasePriority, CaseStatus, Channel } from '../common/enum';
import { Db } from '../database/db';

export interface CaseRow {
  id: string;
  reference: string;
  status: CaseStatus;
  priority: CasePriority;
  version: number;
  resident_id: string;
  inbox_id: string;
  channel: Channel;
  department_id: string;
  service_id: string | null;
  assignee_id: string | null;
  subject: string | null;
  created_at: Date;
  updated_at: Date;
  first_response_at: Date | null;
  last_inbound_at: Date | null;
  resolved_at: Date | null;
  closed_at: Date | null;
}

export const CASE_COLUMNS = `id, reference, status, priority, version, resident_id, inbox_id, channel, department_id, service_id,
  assignee_id, subject, created_at, updated_at, first_response_at, last_inbound_at, resolved_at, closed_at`;

export interface NewCase {
  residentId: string;
  inboxId: string;
  channel: Channel;
  departmentId: string;
  serviceId: string | null;
  priority: CasePriority;
  subject: string | null;
  at: Date;
}

@Injectable()
export class CaseRepository {
  constructor(private readonly db: Db) {}

  /**
   * The case a new inbound message joins: the resident's newest case on this inbox that is still open, or
   * resolved within the reopen window. Locked, so two messages for one case queue up instead of racing.
   */
  async findThreadable(m: EntityManager, residentId: string, inboxId: string, reopenWindowDays: number): Promise<CaseRow | undefined> {
    const rows = await m.query(
      `SELECT ${CASE_COLUMNS} FROM "case"
       WHERE resident_id = $1 AND inbox_id = $2
         AND (status IN ('new', 'open', 'pending')
              OR (status = 'resolved' AND resolved_at > now() - make_interval(days => $3::int)))
       ORDER BY created_at DESC LIMIT 1
       FOR UPDATE`,
      [residentId, inboxId, reopenWindowDays],
    );
    return rows[0];
  }

  async insert(m: EntityManager, c: NewCase): Promise<CaseRow> {
    const rows = await m.query(
      `INSERT INTO "case" (reference, resident_id, inbox_id, channel, department_id, service_id, priority, subject,
                           created_at, updated_at, last_inbound_at)
       VALUES ('C-' || extract(year FROM $8::timestamptz)::int || '-' || lpad(nextval('case_reference_seq')::text, 6, '0'),
               $1, $2, $3, $4, $5, $6, $7, $8, $8, $8)
       RETURNING ${CASE_COLUMNS}`,
      [c.residentId, c.inboxId, c.channel, c.departmentId, c.serviceId, c.priority, c.subject, c.at],
    );
    return rows[0];
  }

  /** Records a resident's message on a case: status (if it moves), priority (if raised), last inbound time. */
  async recordInbound(
    m: EntityManager,
    caseId: string,
    change: { status: CaseStatus; priority: CasePriority; at: Date; reopened: boolean },
  ): Promise<CaseRow> {
    const rows = await m.query(
      `UPDATE "case" SET status = $2, priority = $3, last_inbound_at = greatest(last_inbound_at, $4),
              resolved_at = CASE WHEN $5 THEN NULL ELSE resolved_at END,
              updated_at = now(), version = version + 1
       WHERE id = $1 RETURNING ${CASE_COLUMNS}`,
      [caseId, change.status, change.priority, change.at, change.reopened],
    );
    return rows[0][0];
  }

  async findById(id: string, m: EntityManager = this.db.manager): Promise<CaseRow | undefined> {
    const rows = await m.query(`SELECT ${CASE_COLUMNS} FROM "case" WHERE id = $1`, [id]);
    return rows[0];
  }

  /**
   * Moves a case from one status to another only if nobody moved it meanwhile; undefined means a concurrent
   * change won (the caller reports Conflict).
   */
  async transition(m: EntityManager, caseId: string, from: CaseStatus, to: CaseStatus, expectedVersion?: number): Promise<CaseRow | undefined> {
    const rows = await m.query(
      `UPDATE "case" SET status = $3, updated_at = now(), version = version + 1,
              resolved_at = CASE WHEN $3 = 'resolved' THEN now() WHEN $3 IN ('new', 'open', 'pending') THEN NULL ELSE resolved_at END,
              closed_at = CASE WHEN $3 = 'closed' THEN now() ELSE closed_at END
       WHERE id = $1 AND status = $2 AND ($4::int IS NULL OR version = $4)
       RETURNING ${CASE_COLUMNS}`,
      [caseId, from, to, expectedVersion ?? null],
    );
    return rows[0][0];
  }

  async moveToResident(m: EntityManager, fromResidentId: string, toResidentId: string): Promise<number> {
    const [, count] = await m.query(`UPDATE "case" SET resident_id = $2, updated_at = now(), version = version + 1 WHERE resident_id = $1`, [
      fromResidentId,
      toResidentId,
    ]);
    return count;
  }
}
