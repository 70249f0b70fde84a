import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CaseScope } from '../auth/access';
import { CaseStatus, Channel } from '../common/enum';
import { BatchLoader } from '../common/batch-loader';
import { Db } from '../database/db';
import { CaseSummaryRow, MessageViewRow } from './console.views';

/** A timestamp as ISO-8601 UTC with microseconds: exact in a cursor, where a JS Date would drop the microseconds. */
const exactTime = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

const SUMMARY = `
  SELECT c.id, c.reference, c.status, c.priority, c.channel, c.department_id, c.service_id, s.name AS service_name,
         c.assignee_id, a.name AS assignee_name, c.resident_id, r.name AS resident_name, c.subject,
         c.created_at, c.updated_at, c.last_inbound_at, c.first_response_at, c.version, p.text AS preview,
         EXISTS (SELECT 1 FROM identity i WHERE i.resident_id = c.resident_id AND i.channel = c.channel AND i.opted_out_at IS NOT NULL) AS opted_out,
         c.resolved_at, c.closed_at, c.sla_first_response_due_at, c.sla_first_response_warn_at, c.sla_resolution_due_at,
         c.sla_resolution_warn_at, c.sla_paused_since,
         ${exactTime('c.updated_at')} AS updated_at_key
  FROM "case" c
  JOIN resident r ON r.id = c.resident_id
  LEFT JOIN service s ON s.id = c.service_id
  LEFT JOIN agent a ON a.id = c.assignee_id
  LEFT JOIN LATERAL (
    SELECT left(m.text, 140) AS text FROM message m
    WHERE m.case_id = c.id AND m.direction IN ('inbound', 'outbound')
    ORDER BY m.created_at DESC, m.id DESC LIMIT 1) p ON true`;

const MESSAGE = `
  SELECT m.id, m.case_id, m.direction, m.channel, m.text, m.author_agent_id, ag.name AS author_name, m.attachments,
         m.delivery_status, m.delivery_reason, m.created_at, m.sent_at, ${exactTime('m.updated_at')} AS updated_at_key
  FROM message m LEFT JOIN agent ag ON ag.id = m.author_agent_id`;

/** $1 = department ids (null: all), $2 = the actor's id: their departments' cases and their own (auth/access.ts). */
const SCOPE = `($1::uuid[] IS NULL OR c.department_id = ANY($1::uuid[]) OR c.assignee_id = $2::uuid)`;

/**
 * Rows that changed within this long before a cursor are sent again by sync: a transaction stamps updated_at when
 * it starts and becomes visible when it commits, so a row can appear slightly "in the past". Transactions here are
 * short (milliseconds); clients drop what they already have by case version and message id.
 */
export const SYNC_OVERLAP = `interval '10 seconds'`;

export interface QueueFilter {
  departmentId?: string;
  channel?: Channel;
  statuses: CaseStatus[];
}

/** The console's read side: case summaries and message views, always within the actor's scope. */
@Injectable()
export class ConsoleReadRepository {
  private readonly summaries = new BatchLoader<string, CaseSummaryRow>(async (ids) => {
    const rows: CaseSummaryRow[] = await this.db.manager.query(`${SUMMARY} WHERE c.id = ANY($1::uuid[])`, [ids]);
    return new Map(rows.map((r) => [r.id, r]));
  });
  private readonly pushedMessages = new BatchLoader<string, MessageViewRow & { department_id: string }>(async (ids) => {
    const rows: Array<MessageViewRow & { department_id: string }> = await this.db.manager.query(
      `SELECT x.*, c.department_id FROM (${MESSAGE} WHERE m.id = ANY($1::uuid[])) x JOIN "case" c ON c.id = x.case_id`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, r]));
  });

  constructor(private readonly db: Db) {}

  async queue(scope: CaseScope, filter: QueueFilter, limit: number): Promise<CaseSummaryRow[]> {
    return this.db.manager.query(
      `${SUMMARY}
       WHERE ${SCOPE} AND c.status = ANY($3::text[])
         AND ($4::uuid IS NULL OR c.department_id = $4::uuid) AND ($5::text IS NULL OR c.channel = $5)
       ORDER BY c.priority_rank DESC, c.created_at, c.id
       LIMIT $6`,
      [scope.departmentIds, scope.agentId, filter.statuses, filter.departmentId ?? null, filter.channel ?? null, limit],
    );
  }

  /** One case if the scope may see it. */
  async summary(scope: CaseScope, caseId: string): Promise<CaseSummaryRow | undefined> {
    const rows = await this.db.manager.query(`${SUMMARY} WHERE ${SCOPE} AND c.id = $3`, [scope.departmentIds, scope.agentId, caseId]);
    return rows[0];
  }

  /**
   * One case whoever asks: for pushes, which go to rooms whose members may see it, and for acks of commands that
   * already checked access. Reads asked for together are made together.
   */
  summaryForPush(caseId: string): Promise<CaseSummaryRow | undefined> {
    return this.summaries.load(caseId);
  }

  /** Cases by id whoever asks, read with the caller's manager: inside a claim's transaction, for its acks. */
  async summariesIn(m: EntityManager, caseIds: string[]): Promise<Map<string, CaseSummaryRow>> {
    const rows: CaseSummaryRow[] = await m.query(`${SUMMARY} WHERE c.id = ANY($1::uuid[])`, [caseIds]);
    return new Map(rows.map((r) => [r.id, r]));
  }

  /** The resident's cases the scope may see, newest first, but one. */
  async residentCases(scope: CaseScope, residentId: string, exceptCaseId: string, limit: number): Promise<CaseSummaryRow[]> {
    return this.db.manager.query(
      `${SUMMARY} WHERE ${SCOPE} AND c.resident_id = $3 AND c.id <> $4 ORDER BY c.created_at DESC, c.id DESC LIMIT $5`,
      [scope.departmentIds, scope.agentId, residentId, exceptCaseId, limit],
    );
  }

  /** The newest `limit` messages of a case, oldest first. */
  async messages(caseId: string, limit: number): Promise<MessageViewRow[]> {
    return this.db.manager.query(
      `SELECT * FROM (${MESSAGE} WHERE m.case_id = $1 ORDER BY m.created_at DESC, m.id DESC LIMIT $2) x ORDER BY created_at, id`,
      [caseId, limit],
    );
  }

  async message(messageId: string): Promise<MessageViewRow | undefined> {
    const rows = await this.db.manager.query(`${MESSAGE} WHERE m.id = $1`, [messageId]);
    return rows[0];
  }

  /** A message with its case's department (where it is pushed); reads asked for together are made together. */
  messageForPush(messageId: string): Promise<(MessageViewRow & { department_id: string }) | undefined> {
    return this.pushedMessages.load(messageId);
  }

  /** Cases in scope that changed since the cursor's time (less the overlap), in change order. */
  async casesChangedSince(scope: CaseScope, at: string, limit: number): Promise<CaseSummaryRow[]> {
    return this.db.manager.query(
      `${SUMMARY} WHERE ${SCOPE} AND c.updated_at > $3::timestamptz - ${SYNC_OVERLAP}
       ORDER BY c.updated_at, c.id LIMIT $4`,
      [scope.departmentIds, scope.agentId, at, limit],
    );
  }

  /** Messages of these cases created or changed (delivery status) since the cursor's time, less the overlap. */
  async messagesChangedSince(caseIds: string[], at: string, limit: number): Promise<MessageViewRow[]> {
    if (!caseIds.length) return [];
    return this.db.manager.query(
      `${MESSAGE} WHERE m.case_id = ANY($1::uuid[]) AND m.updated_at > $2::timestamptz - ${SYNC_OVERLAP}
       ORDER BY m.updated_at, m.id LIMIT $3`,
      [caseIds, at, limit],
    );
  }

  /** Which of these cases the scope may see. */
  async visibleCaseIds(scope: CaseScope, caseIds: string[]): Promise<string[]> {
    if (!caseIds.length) return [];
    const rows: Array<{ id: string }> = await this.db.manager.query(`SELECT c.id FROM "case" c WHERE ${SCOPE} AND c.id = ANY($3::uuid[])`, [
      scope.departmentIds,
      scope.agentId,
      caseIds,
    ]);
    return rows.map((r) => r.id);
  }

  async departmentName(departmentId: string): Promise<string | undefined> {
    const rows = await this.db.manager.query(`SELECT name FROM department WHERE id = $1`, [departmentId]);
    return rows[0]?.name;
  }

  /** The database's clock, exactly: the cursor of "now". */
  async now(): Promise<string> {
    const rows = await this.db.manager.query(`SELECT ${exactTime('clock_timestamp()')} AS at`);
    return rows[0].at;
  }

  /** Agents who may see cases of this department (its members and every admin), for @mentions. */
  async mentionable(departmentId: string): Promise<Array<{ id: string; name: string; email: string }>> {
    return this.db.manager.query(
      `SELECT a.id, a.name, a.email FROM agent a
       WHERE a.active AND (a.role = 'admin' OR EXISTS (SELECT 1 FROM agent_department ad WHERE ad.agent_id = a.id AND ad.department_id = $1))`,
      [departmentId],
    );
  }
}
