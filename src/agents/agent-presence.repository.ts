import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Presence } from '../common/enum';
import { Db } from '../database/db';

export interface AgentPresenceRow {
  id: string;
  name: string;
  presence: Presence;
  capacity: number;
  /** Open and pending cases the agent owns. */
  load: number;
  department_ids: string[];
}

/** Presence and capacity, kept on the agent row so every process (and auto-assignment) reads the same. */
@Injectable()
export class AgentPresenceRepository {
  constructor(private readonly db: Db) {}

  /** Sets the presence; undefined when it already was that (nothing changed) or the agent is gone. */
  async setPresence(m: EntityManager, agentId: string, presence: Presence): Promise<{ presence: Presence; capacity: number } | undefined> {
    const [rows] = await m.query(
      `UPDATE agent SET presence = $2 WHERE id = $1 AND presence <> $2 RETURNING presence, capacity`,
      [agentId, presence],
    );
    return rows[0];
  }

  async setCapacity(m: EntityManager, agentId: string, capacity: number): Promise<{ presence: Presence; capacity: number } | undefined> {
    const [rows] = await m.query(
      `UPDATE agent SET capacity = $2 WHERE id = $1 AND capacity <> $2 RETURNING presence, capacity`,
      [agentId, capacity],
    );
    return rows[0];
  }

  /**
   * The active members of a department with presence, capacity and load: available first, then the least loaded,
   * then by name (who to hand a case to).
   */
  async listForDepartment(departmentId: string): Promise<Array<Omit<AgentPresenceRow, 'department_ids'> & { role: string }>> {
    return this.db.manager.query(
      `SELECT a.id, a.name, a.role, a.presence, a.capacity,
              (SELECT count(*)::int FROM "case" c WHERE c.assignee_id = a.id AND c.status IN ('open', 'pending')) AS load
       FROM agent_department ad JOIN agent a ON a.id = ad.agent_id
       WHERE ad.department_id = $1 AND a.active
       ORDER BY array_position(ARRAY['available', 'busy', 'away', 'offline'], a.presence), load, a.name, a.id`,
      [departmentId],
    );
  }

  async find(agentId: string): Promise<AgentPresenceRow | undefined> {
    const rows = await this.db.manager.query(
      `SELECT a.id, a.name, a.presence, a.capacity,
              (SELECT count(*)::int FROM "case" c WHERE c.assignee_id = a.id AND c.status IN ('open', 'pending')) AS load,
              ARRAY(SELECT ad.department_id::text FROM agent_department ad WHERE ad.agent_id = a.id ORDER BY 1) AS department_ids
       FROM agent a WHERE a.id = $1`,
      [agentId],
    );
    return rows[0];
  }
}
