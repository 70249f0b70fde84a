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

/** A case intake opens, as it stands after the messages of its batch. */
export interface NewInboundCase extends NewCase {
  id: string;
  status: CaseStatus;
  version: number;
  lastInboundAt: Date;
  /** Messages of the batch threaded onto it after the one that opened it. */
  messagesAfterOpening: number;
}

@Injectable()
export class CaseRepository {
  constructor(private readonly db: Db) {}

  /**
   * For each (resident, inbox) pair, the case a new inbound message joins: the resident's newest case on that inbox
   * that is still open, or resolved within the reopen window. All of them locked (in id order), so messages for
   * one case queue up instead of racing; one that changed meanwhile is checked again once locked, and left out if
   * it can no longer take messages.
   */
  async findThreadableMany(m: EntityManager, pairs: Array<{ residentId: string; inboxId: string }>, reopenWindowDays: number): Promise<CaseRow[]> {
    const threadable = (c: string) =>
      `(${c}.status IN ('new', 'open', 'pending') OR (${c}.status = 'resolved' AND ${c}.resolved_at > now() - make_interval(days => $3::int)))`;
    return m.query(
      `WITH newest AS MATERIALIZED (
         SELECT (SELECT x.id FROM "case" x
                 WHERE x.resident_id = k.resident_id AND x.inbox_id = k.inbox_id AND ${threadable('x')}
                 ORDER BY x.created_at DESC LIMIT 1) AS id
         FROM unnest($1::uuid[], $2::uuid[]) AS k(resident_id, inbox_id))
       SELECT ${CASE_COLUMNS} FROM "case" c
       WHERE c.id IN (SELECT id FROM newest) AND ${threadable('c')}
       ORDER BY c.id
       FOR UPDATE OF c`,
      [pairs.map((p) => p.residentId), pairs.map((p) => p.inboxId), reopenWindowDays],
    );
  }

  /** The named cases that can still take an inbound message (open, or resolved within the window), locked in id order. */
  async findThreadableByIds(m: EntityManager, ids: string[], reopenWindowDays: number): Promise<CaseRow[]> {
    return m.query(
      `SELECT ${CASE_COLUMNS} FROM "case"
       WHERE id = ANY($1::uuid[])
         AND (status IN ('new', 'open', 'pending') OR (status = 'resolved' AND resolved_at > now() - make_interval(days => $2::int)))
       ORDER BY id
       FOR UPDATE`,
      [ids, reopenWindowDays],
    );
  }

  /**
   * Inserts cases opened by intake, with their ids chosen by the caller and their state after every message of
   * the batch (a case may have taken more than one). References are numbered in the order given.
   */
  async insertMany(m: EntityManager, cases: NewInboundCase[]): Promise<CaseRow[]> {
    const column = <T>(pick: (c: NewInboundCase) => T) => cases.map(pick);
    return m.query(
      `INSERT INTO "case" (id, reference, resident_id, inbox_id, channel, department_id, service_id, priority, subject, status, version,
                           created_at, updated_at, last_inbound_at)
       SELECT id, 'C-' || extract(year FROM at)::int || '-' || lpad(nextval('case_reference_seq')::text, 6, '0'),
              resident_id, inbox_id, channel, department_id, service_id, priority, subject, status, version,
              at, coalesce(updated_at, now()), last_inbound_at
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::uuid[], $6::uuid[], $7::text[], $8::text[], $9::text[], $10::int[],
                   $11::timestamptz[], $12::timestamptz[], $13::timestamptz[])
            WITH ORDINALITY AS v(id, resident_id, inbox_id, channel, department_id, service_id, priority, subject, status, version,
                                 at, updated_at, last_inbound_at, ord)
       ORDER BY ord
       RETURNING ${CASE_COLUMNS}`,
      [
        column((c) => c.id),
        column((c) => c.residentId),
        column((c) => c.inboxId),
        column((c) => c.channel),
        column((c) => c.departmentId),
        column((c) => c.serviceId),
        column((c) => c.priority),
        column((c) => c.subject),
        column((c) => c.status),
        column((c) => c.version),
        column((c) => c.at),
        column((c) => (c.messagesAfterOpening > 0 ? null : c.at)),
        column((c) => c.lastInboundAt),
      ],
    );
  }

  /**
   * Records residents' messages on cases, in one statement: status (if it moves), priority (if raised), last
   * inbound time, and one version per message (`messages`: how many of the batch each case took).
   */
  async recordInboundMany(
    m: EntityManager,
    changes: Array<{ caseId: string; status: CaseStatus; priority: CasePriority; at: Date; reopened: boolean; messages: number }>,
  ): Promise<CaseRow[]> {
    const column = <T>(pick: (c: (typeof changes)[number]) => T) => changes.map(pick);
    const [rows] = await m.query(
      `UPDATE "case" SET status = v.new_status, priority = v.new_priority, last_inbound_at = greatest(last_inbound_at, v.inbound_at),
              resolved_at = CASE WHEN v.reopened THEN NULL ELSE resolved_at END,
              updated_at = now(), version = version + v.messages
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::timestamptz[], $5::bool[], $6::int[])
            AS v(case_id, new_status, new_priority, inbound_at, reopened, messages)
       WHERE id = v.case_id
       RETURNING ${CASE_COLUMNS}`,
      [column((c) => c.caseId), column((c) => c.status), column((c) => c.priority), column((c) => c.at), column((c) => c.reopened), column((c) => c.messages)],
    );
    return rows;
  }

  async findByIds(ids: string[], m: EntityManager = this.db.manager): Promise<CaseRow[]> {
    return m.query(`SELECT ${CASE_COLUMNS} FROM "case" WHERE id = ANY($1::uuid[])`, [ids]);
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

  /** The case, locked until the caller's transaction ends: a staff reply and a concurrent close queue up. */
  async findByIdForUpdate(m: EntityManager, id: string): Promise<CaseRow | undefined> {
    const rows = await m.query(`SELECT ${CASE_COLUMNS} FROM "case" WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0];
  }

  /** Stamps the first staff reply (the SLA's first-response clock); later replies leave it alone. */
  async markFirstResponse(m: EntityManager, caseId: string, at: Date): Promise<CaseRow | undefined> {
    const rows = await m.query(
      `UPDATE "case" SET first_response_at = $2, updated_at = now(), version = version + 1
       WHERE id = $1 AND first_response_at IS NULL RETURNING ${CASE_COLUMNS}`,
      [caseId, at],
    );
    return rows[0][0];
  }

  /** Stamps abandonment (the resident left a chat before any answer); an answered or already abandoned case is left alone. */
  /** The service (and department) the resident chose, on a case that has no service yet; undefined otherwise. */
  async fileUnderService(m: EntityManager, caseId: string, serviceId: string, departmentId: string): Promise<CaseRow | undefined> {
    const rows = await m.query(
      `UPDATE "case" SET service_id = $2, department_id = $3, updated_at = now(), version = version + 1
       WHERE id = $1 AND service_id IS NULL RETURNING ${CASE_COLUMNS}`,
      [caseId, serviceId, departmentId],
    );
    return rows[0][0];
  }

  async markAbandoned(m: EntityManager, caseId: string): Promise<CaseRow | undefined> {
    const rows = await m.query(
      `UPDATE "case" SET abandoned_at = now(), updated_at = now(), version = version + 1
       WHERE id = $1 AND first_response_at IS NULL AND abandoned_at IS NULL RETURNING ${CASE_COLUMNS}`,
      [caseId],
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
