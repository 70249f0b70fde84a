import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CasePriority, CaseStatus } from '../common/enum';
import { CASE_COLUMNS, CaseRow } from './case.repository';

/** Statuses that count against an agent's capacity. */
export const LOAD_STATUSES: readonly CaseStatus[] = [CaseStatus.Open, CaseStatus.Pending];

/**
 * Ownership of cases: claims, releases, transfers, priority, and the round-robin state of auto-assignment. Every
 * write is a conditional update, so two agents can never own one case: the loser of a race updates no row.
 */
@Injectable()
export class CaseClaimRepository {
  /**
   * Locks the agent's row until the transaction ends and returns their capacity: one agent's concurrent claims
   * (two tabs, a claim racing an auto-assignment) queue up here, so the load counted next is exact. NO KEY UPDATE:
   * rows that merely refer to the agent (their messages, cases given to them) do not wait for it.
   */
  async lockAgent(m: EntityManager, agentId: string): Promise<{ capacity: number } | undefined> {
    const rows = await m.query(`SELECT capacity FROM agent WHERE id = $1 AND active FOR NO KEY UPDATE`, [agentId]);
    return rows[0];
  }

  /** How many open or pending cases the agent owns. */
  async countLoad(m: EntityManager, agentId: string): Promise<number> {
    const rows = await m.query(`SELECT count(*)::int AS n FROM "case" WHERE assignee_id = $1 AND status = ANY($2::text[])`, [agentId, LOAD_STATUSES]);
    return rows[0].n;
  }

  /**
   * The claim itself, one statement: the first waiting case in queue order (priority, then oldest) in the given
   * departments (null: all) becomes the agent's and `open`. Rows other transactions hold are skipped, so racing
   * agents each get a different case and nobody waits.
   */
  async claimOldestWaiting(m: EntityManager, agentId: string, departmentIds: string[] | null): Promise<CaseRow | undefined> {
    const [rows] = await m.query(
      `UPDATE "case" SET assignee_id = $1, status = 'open', version = version + 1, updated_at = now()
       WHERE id = (
         SELECT id FROM "case"
         WHERE status = 'new' AND assignee_id IS NULL AND ($2::uuid[] IS NULL OR department_id = ANY($2::uuid[]))
         ORDER BY priority_rank DESC, created_at, id
         LIMIT 1
         FOR UPDATE SKIP LOCKED)
         AND status = 'new' AND assignee_id IS NULL
       RETURNING ${CASE_COLUMNS}`,
      [agentId, departmentIds],
    );
    return rows[0];
  }

  /** lockAgent for many agents at once, in id order (so two batches never wait on each other in a circle). */
  async lockAgents(m: EntityManager, agentIds: string[]): Promise<Map<string, number>> {
    const rows: Array<{ id: string; capacity: number }> = await m.query(
      `SELECT id, capacity FROM agent WHERE id = ANY($1::uuid[]) AND active ORDER BY id FOR NO KEY UPDATE`,
      [agentIds],
    );
    return new Map(rows.map((r) => [r.id, r.capacity]));
  }

  async countLoads(m: EntityManager, agentIds: string[]): Promise<Map<string, number>> {
    const rows: Array<{ id: string; n: number }> = await m.query(
      `SELECT assignee_id AS id, count(*)::int AS n FROM "case" WHERE assignee_id = ANY($1::uuid[]) AND status = ANY($2::text[]) GROUP BY assignee_id`,
      [agentIds, LOAD_STATUSES],
    );
    return new Map(rows.map((r) => [r.id, r.n]));
  }

  /**
   * claimOldestWaiting for several agents in one statement: the first waiting cases in queue order go to the agents
   * in the order given (the first agent gets the first case). Fewer rows than agents when fewer cases wait;
   * `position` is the 1-based index of the agent each case went to.
   */
  async claimManyOldestWaiting(m: EntityManager, agentIds: string[], departmentIds: string[] | null): Promise<Array<CaseRow & { position: number }>> {
    const [rows] = await m.query(
      `WITH picked AS (
         SELECT id, row_number() OVER (ORDER BY priority_rank DESC, created_at, id) AS position FROM (
           SELECT id, priority_rank, created_at FROM "case"
           WHERE status = 'new' AND assignee_id IS NULL AND ($2::uuid[] IS NULL OR department_id = ANY($2::uuid[]))
           ORDER BY priority_rank DESC, created_at, id
           LIMIT $3
           FOR UPDATE SKIP LOCKED) waiting),
       agents AS (SELECT agent_id, position FROM unnest($1::uuid[]) WITH ORDINALITY AS a(agent_id, position))
       UPDATE "case" c SET assignee_id = agents.agent_id, status = 'open', version = c.version + 1, updated_at = now()
       FROM picked JOIN agents USING (position)
       WHERE c.id = picked.id AND c.status = 'new' AND c.assignee_id IS NULL
       RETURNING ${CASE_COLUMNS.split(',').map((col) => `c.${col.trim()}`).join(', ')}, picked.position::int AS position`,
      [agentIds, departmentIds, agentIds.length],
    );
    return rows;
  }

  /** Sets the owner (null: nobody) and status, only if the owner is still `expectedAssigneeId`. */
  async assign(m: EntityManager, caseId: string, assigneeId: string | null, expectedAssigneeId: string | null, status: CaseStatus): Promise<CaseRow | undefined> {
    const [rows] = await m.query(
      `UPDATE "case" SET assignee_id = $2, status = $4, version = version + 1, updated_at = now()
       WHERE id = $1 AND assignee_id IS NOT DISTINCT FROM $3::uuid
       RETURNING ${CASE_COLUMNS}`,
      [caseId, assigneeId, expectedAssigneeId, status],
    );
    return rows[0];
  }

  /** Moves the case to a department and owner (null: the department's queue), only at the version the caller saw. */
  async transfer(m: EntityManager, caseId: string, to: { departmentId: string; assigneeId: string | null; status: CaseStatus }, expectedVersion: number): Promise<CaseRow | undefined> {
    const [rows] = await m.query(
      `UPDATE "case" SET department_id = $2, assignee_id = $3, status = $4, version = version + 1, updated_at = now()
       WHERE id = $1 AND version = $5
       RETURNING ${CASE_COLUMNS}`,
      [caseId, to.departmentId, to.assigneeId, to.status, expectedVersion],
    );
    return rows[0];
  }

  async setPriority(m: EntityManager, caseId: string, priority: CasePriority, expectedVersion: number): Promise<CaseRow | undefined> {
    const [rows] = await m.query(
      `UPDATE "case" SET priority = $2, version = version + 1, updated_at = now()
       WHERE id = $1 AND version = $3
       RETURNING ${CASE_COLUMNS}`,
      [caseId, priority, expectedVersion],
    );
    return rows[0];
  }

  /** Display names of departments and agents, read inside the caller's transaction (for history and messages). */
  async names(m: EntityManager, departmentIds: string[], agentIds: Array<string | null>): Promise<Map<string, string>> {
    const rows: Array<{ id: string; name: string }> = await m.query(
      `SELECT id, name FROM department WHERE id = ANY($1::uuid[]) UNION ALL SELECT id, name FROM agent WHERE id = ANY($2::uuid[])`,
      [departmentIds, agentIds.filter((id): id is string => id !== null)],
    );
    return new Map(rows.map((r) => [r.id, r.name]));
  }

  /**
   * Whether the department assigns its waiting cases itself (department.settings.autoAssign), locking its row until
   * the transaction ends: auto-assignment runs one round at a time per department, so each round sees the round
   * robin state the previous one left. NO KEY UPDATE: new cases, which refer to the department, do not wait.
   */
  async lockAutoAssign(m: EntityManager, departmentId: string): Promise<boolean> {
    const rows = await m.query(`SELECT coalesce((settings->>'autoAssign')::boolean, false) AS on FROM department WHERE id = $1 FOR NO KEY UPDATE`, [
      departmentId,
    ]);
    return rows[0]?.on ?? false;
  }

  async listAutoAssignDepartments(m: EntityManager): Promise<string[]> {
    const rows: Array<{ id: string }> = await m.query(`SELECT id FROM department WHERE coalesce((settings->>'autoAssign')::boolean, false) ORDER BY id`);
    return rows.map((r) => r.id);
  }

  async setAutoAssign(m: EntityManager, departmentId: string, on: boolean): Promise<boolean> {
    const [, affected] = await m.query(`UPDATE department SET settings = settings || jsonb_build_object('autoAssign', $2::boolean) WHERE id = $1`, [departmentId, on]);
    return affected > 0;
  }

  /**
   * Round robin: of the department's available agents under capacity, the one whose last auto-assigned case here
   * is oldest (never: first). Called with the department locked (lockAutoAssign).
   */
  async nextRoundRobinAgent(m: EntityManager, departmentId: string): Promise<string | undefined> {
    const rows = await m.query(
      `SELECT a.id FROM agent_department ad JOIN agent a ON a.id = ad.agent_id
       WHERE ad.department_id = $1 AND a.active AND a.presence = 'available' AND a.capacity > 0
         AND (SELECT count(*) FROM "case" c WHERE c.assignee_id = a.id AND c.status = ANY($2::text[])) < a.capacity
       ORDER BY ad.last_assigned_at ASC NULLS FIRST, a.id
       LIMIT 1`,
      [departmentId, LOAD_STATUSES],
    );
    return rows[0]?.id;
  }

  async markAutoAssigned(m: EntityManager, agentId: string, departmentId: string): Promise<void> {
    await m.query(`UPDATE agent_department SET last_assigned_at = clock_timestamp() WHERE agent_id = $1 AND department_id = $2`, [agentId, departmentId]);
  }
}
