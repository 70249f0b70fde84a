import { Injectable } from '@nestjs/common';
import { CaseScope } from '../auth/access';
import { CaseStatus, Channel } from '../common/enum';
import { Db } from '../database/db';
import { CaseRow } from './case.repository';

/** A case as lists show it: its row, the resident's name, and the exact sort key for the next page. */
export interface CaseListRow extends CaseRow {
  priority_rank: number;
  resident_name: string | null;
  /** created_at exactly (microseconds), for the next page's cursor. */
  created_at_key: string;
}

export interface CaseListFilter {
  statuses?: CaseStatus[];
  departmentId?: string;
  channel?: Channel;
  /** An agent's id, or null for unassigned cases. */
  assigneeId?: string | null;
}

/** Where the previous page ended, in queue order (priority_rank DESC, created_at ASC, id ASC). */
export interface QueueKey {
  priorityRank: number;
  createdAt: string;
  id: string;
}

/** Where the previous page of failed messages ended (newest failure first). */
export interface FailedKey {
  updatedAt: string;
  id: string;
}

export interface FailedMessageRow {
  id: string;
  case_id: string;
  case_reference: string;
  department_id: string;
  channel: Channel;
  text: string;
  delivery_reason: string | null;
  attempts: number;
  author_agent_id: string | null;
  created_at: Date;
  updated_at: Date;
  updated_at_key: string;
}

/** A timestamp as ISO-8601 UTC with microseconds: exact in a cursor, where a JS Date would drop the microseconds. */
const exactTime = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const LIST_COLUMNS = `c.*, r.name AS resident_name, ${exactTime('c.created_at')} AS created_at_key`;
/** $1 = department ids (null: all), $2 = the actor's id: their departments' cases and their own. */
const SCOPE = `($1::uuid[] IS NULL OR c.department_id = ANY($1::uuid[]) OR c.assignee_id = $2::uuid)`;

/** The staff read side of cases: the queue with filters and keyset paging, a resident's cases, queue depth. */
@Injectable()
export class CaseQueryRepository {
  constructor(private readonly db: Db) {}

  async listQueue(scope: CaseScope, filter: CaseListFilter, after: QueueKey | undefined, limit: number): Promise<CaseListRow[]> {
    const params: unknown[] = [scope.departmentIds, scope.agentId];
    const where = [SCOPE];
    const param = (value: unknown) => `$${params.push(value)}`;
    if (filter.statuses?.length) where.push(`c.status = ANY(${param(filter.statuses)}::text[])`);
    if (filter.departmentId) where.push(`c.department_id = ${param(filter.departmentId)}::uuid`);
    if (filter.channel) where.push(`c.channel = ${param(filter.channel)}`);
    if (filter.assigneeId === null) where.push(`c.assignee_id IS NULL`);
    else if (filter.assigneeId) where.push(`c.assignee_id = ${param(filter.assigneeId)}::uuid`);
    if (after) {
      const [rank, createdAt, id] = [param(after.priorityRank), param(after.createdAt), param(after.id)];
      where.push(`(c.priority_rank < ${rank}::smallint OR (c.priority_rank = ${rank}::smallint AND (c.created_at, c.id) > (${createdAt}::timestamptz, ${id}::uuid)))`);
    }
    return this.db.manager.query(
      `SELECT ${LIST_COLUMNS} FROM "case" c JOIN resident r ON r.id = c.resident_id
       WHERE ${where.join(' AND ')}
       ORDER BY c.priority_rank DESC, c.created_at ASC, c.id ASC
       LIMIT ${param(limit)}`,
      params,
    );
  }

  async findVisible(scope: CaseScope, id: string): Promise<CaseListRow | undefined> {
    const rows = await this.db.manager.query(
      `SELECT ${LIST_COLUMNS} FROM "case" c JOIN resident r ON r.id = c.resident_id WHERE ${SCOPE} AND c.id = $3`,
      [scope.departmentIds, scope.agentId, id],
    );
    return rows[0];
  }

  /** A resident's cases the actor may see, newest first. */
  async listForResident(scope: CaseScope, residentId: string, limit: number): Promise<CaseListRow[]> {
    return this.db.manager.query(
      `SELECT ${LIST_COLUMNS} FROM "case" c JOIN resident r ON r.id = c.resident_id
       WHERE ${SCOPE} AND c.resident_id = $3
       ORDER BY c.created_at DESC, c.id DESC LIMIT $4`,
      [scope.departmentIds, scope.agentId, residentId, limit],
    );
  }

  async countVisibleForResident(scope: CaseScope, residentId: string): Promise<number> {
    const rows = await this.db.manager.query(`SELECT count(*)::int AS n FROM "case" c WHERE ${SCOPE} AND c.resident_id = $3`, [
      scope.departmentIds,
      scope.agentId,
      residentId,
    ]);
    return rows[0].n;
  }

  /** Failed outbound messages on cases the actor may see, newest failure first. */
  async listFailedMessages(scope: CaseScope, after: FailedKey | undefined, limit: number): Promise<FailedMessageRow[]> {
    return this.db.manager.query(
      `SELECT m.id, m.case_id, c.reference AS case_reference, c.department_id, m.channel, m.text, m.delivery_reason, m.attempts,
              m.author_agent_id, m.created_at, m.updated_at, ${exactTime('m.updated_at')} AS updated_at_key
       FROM message m JOIN "case" c ON c.id = m.case_id
       WHERE m.delivery_status = 'failed' AND ${SCOPE}
         AND ($3::timestamptz IS NULL OR (m.updated_at, m.id) < ($3::timestamptz, $4::uuid))
       ORDER BY m.updated_at DESC, m.id DESC LIMIT $5`,
      [scope.departmentIds, scope.agentId, after?.updatedAt ?? null, after?.id ?? null, limit],
    );
  }
}
