import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Db } from '../database/db';

export interface AgentRow {
  id: string;
  email: string;
  name: string;
  role: string;
  password_hash: string;
  presence: string;
  capacity: number;
  active: boolean;
  failed_logins: number;
  locked_until: Date | null;
  created_at: Date;
  department_ids: string[];
}

export interface NewAgentRow {
  email: string;
  name: string;
  role: string;
  passwordHash: string;
  capacity: number;
}

/** Failed sign-ins in a row before the account is locked, and for how long. */
export const LOCKOUT = { attempts: 5, minutes: 15 } as const;

const SELECT_AGENT = `
  SELECT a.*, COALESCE(array_agg(ad.department_id::text ORDER BY ad.department_id) FILTER (WHERE ad.department_id IS NOT NULL), '{}') AS department_ids
  FROM agent a LEFT JOIN agent_department ad ON ad.agent_id = a.id`;

@Injectable()
export class AgentRepository {
  constructor(private readonly db: Db) {}

  /** The new agent's id, or undefined when the email (case-insensitive) is taken. */
  async insertIfNew(m: EntityManager, a: NewAgentRow): Promise<string | undefined> {
    const rows = await m.query(
      `INSERT INTO agent (email, name, role, password_hash, capacity) VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT ((lower(email))) DO NOTHING RETURNING id`,
      [a.email, a.name, a.role, a.passwordHash, a.capacity],
    );
    return rows[0]?.id;
  }

  async addDepartments(m: EntityManager, agentId: string, departmentIds: string[]): Promise<void> {
    if (!departmentIds.length) return;
    await m.query(
      `INSERT INTO agent_department (agent_id, department_id) SELECT $1, unnest($2::uuid[]) ON CONFLICT DO NOTHING`,
      [agentId, departmentIds],
    );
  }

  /** Role and active flag; locks the row for the rest of the transaction. False when the agent does not exist. */
  async updateAccess(m: EntityManager, id: string, role: string, active: boolean): Promise<boolean> {
    const [, affected] = await m.query(`UPDATE agent SET role = $2, active = $3 WHERE id = $1`, [id, role, active]);
    return affected > 0;
  }

  /** The agent's departments become exactly these. */
  async replaceDepartments(m: EntityManager, agentId: string, departmentIds: string[]): Promise<void> {
    await m.query(`DELETE FROM agent_department WHERE agent_id = $1 AND NOT (department_id = ANY($2::uuid[]))`, [agentId, departmentIds]);
    await this.addDepartments(m, agentId, departmentIds);
  }

  async findById(id: string, m: EntityManager = this.db.manager): Promise<AgentRow | undefined> {
    const rows = await m.query(`${SELECT_AGENT} WHERE a.id = $1 GROUP BY a.id`, [id]);
    return rows[0];
  }

  async findByEmail(email: string, m: EntityManager = this.db.manager): Promise<AgentRow | undefined> {
    const rows = await m.query(`${SELECT_AGENT} WHERE lower(a.email) = lower($1) GROUP BY a.id`, [email]);
    return rows[0];
  }

  async list(): Promise<AgentRow[]> {
    return this.db.manager.query(`${SELECT_AGENT} GROUP BY a.id ORDER BY a.name, a.id`);
  }

  async updatePasswordHash(m: EntityManager, id: string, hash: string): Promise<boolean> {
    const [, affected] = await m.query(`UPDATE agent SET password_hash = $2, failed_logins = 0, locked_until = NULL WHERE id = $1`, [id, hash]);
    return affected > 0;
  }

  /**
   * Counts one failed sign-in atomically; the attempt that reaches the limit locks the account and restarts the
   * count, so the next lock needs as many failures again. Returns whether the account is now locked.
   */
  async recordFailedSignIn(m: EntityManager, id: string): Promise<{ locked: boolean; lockedUntil: Date | null }> {
    const rows = await m.query(
      `UPDATE agent SET
         locked_until = CASE WHEN failed_logins + 1 >= $2 THEN now() + make_interval(mins => $3) ELSE locked_until END,
         failed_logins = CASE WHEN failed_logins + 1 >= $2 THEN 0 ELSE failed_logins + 1 END
       WHERE id = $1
       RETURNING locked_until, (locked_until IS NOT NULL AND locked_until > now()) AS locked`,
      [id, LOCKOUT.attempts, LOCKOUT.minutes],
    );
    return { locked: rows[0][0]?.locked ?? false, lockedUntil: rows[0][0]?.locked_until ?? null };
  }

  async recordSuccessfulSignIn(m: EntityManager, id: string): Promise<void> {
    await m.query(`UPDATE agent SET failed_logins = 0, locked_until = NULL WHERE id = $1`, [id]);
  }
}
