import { Injectable } from '@nestjs/common';
import { Presence } from '../common/enum';
import { HubError } from '../common/errors';
import { Db } from '../database/db';
import { AgentPresenceRepository, AgentPresenceRow } from './agent-presence.repository';
import { Agent, AgentsService } from './agents.service';

/** Most cases an agent may hold at once, as the console lets them set it. */
export const CAPACITY_MAX = 20;

/**
 * An agent's presence (available, busy, away, offline) and capacity. Both live on the agent row; a change is an
 * `agent.presence-changed` event after commit (the console shows it, auto-assignment may offer a case).
 */
@Injectable()
export class AgentPresenceService {
  constructor(
    private readonly db: Db,
    private readonly presence: AgentPresenceRepository,
    private readonly agents: AgentsService,
  ) {}

  async setPresence(agentId: string, presence: Presence): Promise<Agent> {
    await this.db.transaction(async (tx) => {
      const changed = await this.presence.setPresence(tx.manager, agentId, presence);
      if (changed) tx.emit('agent.presence-changed', { agentId, presence: changed.presence, capacity: changed.capacity });
    });
    return this.agents.get(agentId);
  }

  async setCapacity(agentId: string, capacity: number): Promise<Agent> {
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > CAPACITY_MAX) {
      throw HubError.validation(`capacity must be a whole number from 0 to ${CAPACITY_MAX}`, { field: 'capacity' });
    }
    await this.db.transaction(async (tx) => {
      const changed = await this.presence.setCapacity(tx.manager, agentId, capacity);
      if (changed) tx.emit('agent.presence-changed', { agentId, presence: changed.presence, capacity: changed.capacity });
    });
    return this.agents.get(agentId);
  }

  /** A department's active members as colleagues see them (to transfer a case to one of them). */
  colleagues(departmentId: string): Promise<Array<Omit<AgentPresenceRow, 'department_ids'> & { role: string }>> {
    return this.presence.listForDepartment(departmentId);
  }

  /** Name, presence, capacity and current load (open and pending cases), as colleagues see it. */
  async view(agentId: string): Promise<AgentPresenceRow> {
    const row = await this.presence.find(agentId);
    if (!row) throw HubError.notFound('Agent', agentId);
    return row;
  }
}
