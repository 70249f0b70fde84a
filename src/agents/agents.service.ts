import { Injectable } from '@nestjs/common';
import * as argon2 from 'argon2';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../auth/actor';
import { AgentRole, enumValues, Presence } from '../common/enum';
import { HubError } from '../common/errors';
import { Db } from '../database/db';
import { DepartmentsService } from '../departments/departments.service';
import { AgentRepository, AgentRow } from './agent.repository';

/** A staff member as the API shows it: never the password hash or the sign-in counters. */
export interface Agent {
  id: string;
  email: string;
  name: string;
  role: AgentRole;
  presence: Presence;
  capacity: number;
  active: boolean;
  departmentIds: string[];
  createdAt: string;
}

export interface CreateAgent {
  email: string;
  name: string;
  role: AgentRole;
  /** Department slugs or ids. */
  departments: string[];
  password: string;
  capacity?: number;
}

/** What sign-in needs to decide: the stored hash and the lock. Only AuthService asks for it. */
export interface AgentCredentials {
  agent: Agent;
  passwordHash: string;
  lockedUntil: Date | null;
}

/** What an admin may change about a staff member's access. Omitted fields stay as they are. */
export interface AgentAccessChange {
  role?: AgentRole;
  /** Department slugs or ids: the agent's departments become exactly these. */
  departments?: string[];
  active?: boolean;
}

export const PASSWORD_MIN_LENGTH = 12;
/** Far above any real password; stops a megabyte "password" from costing a hash. */
const PASSWORD_MAX_LENGTH = 1024;
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** argon2id at OWASP's baseline (19 MiB, 2 passes, 1 lane): strong, yet a sign-in stays well under a second on a small server. */
const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, ARGON2_OPTIONS);
}

@Injectable()
export class AgentsService {
  constructor(
    private readonly db: Db,
    private readonly agents: AgentRepository,
    private readonly departments: DepartmentsService,
    private readonly audit: AuditService,
  ) {}

  async create(input: CreateAgent): Promise<Agent> {
    const email = validEmail(input.email);
    const name = typeof input.name === 'string' ? input.name.trim() : '';
    if (!name) throw HubError.validation('name is required', { field: 'name' });
    if (!enumValues(AgentRole).includes(input.role)) {
      throw HubError.validation(`role must be one of ${enumValues(AgentRole).join(', ')}`, { field: 'role' });
    }
    const capacity = input.capacity ?? 3;
    if (!Number.isInteger(capacity) || capacity < 0 || capacity > 100) {
      throw HubError.validation('capacity must be a whole number from 0 to 100', { field: 'capacity' });
    }
    validPassword(input.password);
    const departmentIds = await this.resolveDepartments(input.departments, input.role);
    // Hash outside the transaction: it is slow on purpose, and a transaction must stay short.
    const passwordHash = await hashPassword(input.password);
    const id = await this.db.transaction(async ({ manager }) => {
      const newId = await this.agents.insertIfNew(manager, { email, name, role: input.role, passwordHash, capacity });
      if (!newId) throw HubError.conflict(`An agent with the email ${email} already exists`, { field: 'email' });
      await this.agents.addDepartments(manager, newId, departmentIds);
      return newId;
    });
    return this.get(id);
  }

  async get(id: string): Promise<Agent> {
    const row = isUuid(id) ? await this.agents.findById(id) : undefined;
    if (!row) throw HubError.notFound('Agent', id);
    return toAgent(row);
  }

  async findByEmail(email: string): Promise<Agent | undefined> {
    const row = await this.agents.findByEmail(email);
    return row && toAgent(row);
  }

  async list(): Promise<Agent[]> {
    return (await this.agents.list()).map(toAgent);
  }

  /**
   * Changes an agent's role, departments or active flag (an admin's decision, audited). `agent.access-changed` goes
   * out after commit: the console refreshes the agent's open sockets (rooms and rights) or ends them if deactivated.
   */
  async changeAccess(actor: Actor, id: string, change: AgentAccessChange): Promise<Agent> {
    const before = await this.get(id);
    const role = change.role ?? before.role;
    if (!enumValues(AgentRole).includes(role)) throw HubError.validation(`role must be one of ${enumValues(AgentRole).join(', ')}`, { field: 'role' });
    if (change.active !== undefined && typeof change.active !== 'boolean') throw HubError.validation('active must be true or false', { field: 'active' });
    const active = change.active ?? before.active;
    if (id === actor.id && (!active || role !== AgentRole.Admin)) throw HubError.validation('You cannot deactivate yourself or give up your own admin role', { field: 'role' });
    const departmentIds = change.departments === undefined ? before.departmentIds : await this.resolveDepartments(change.departments, role);
    if (!departmentIds.length && role !== AgentRole.Admin) throw HubError.validation('an agent or supervisor needs at least one department', { field: 'departments' });
    await this.db.transaction(async (tx) => {
      if (!(await this.agents.updateAccess(tx.manager, id, role, active))) throw HubError.notFound('Agent', id);
      await this.agents.replaceDepartments(tx.manager, id, departmentIds);
      await this.audit.record(tx.manager, {
        actorType: 'agent',
        actorId: actor.id,
        action: 'agent.access-changed',
        subjectType: 'agent',
        subjectId: id,
        details: { from: { role: before.role, departmentIds: before.departmentIds, active: before.active }, to: { role, departmentIds, active } },
      });
      tx.emit('agent.access-changed', { agentId: id });
    });
    return this.get(id);
  }

  async setPassword(id: string, password: string): Promise<void> {
    validPassword(password);
    await this.get(id);
    const hash = await hashPassword(password);
    await this.db.transaction(async ({ manager }) => {
      if (!(await this.agents.updatePasswordHash(manager, id, hash))) throw HubError.notFound('Agent', id);
    });
  }

  /** The actor a verified token stands for, or undefined when the agent is gone or deactivated. */
  async findActiveActor(id: string): Promise<Actor | undefined> {
    const row = isUuid(id) ? await this.agents.findById(id) : undefined;
    if (!row || !row.active) return undefined;
    return { id: row.id, email: row.email, name: row.name, role: row.role as AgentRole, departmentIds: row.department_ids };
  }

  async findCredentials(email: string): Promise<AgentCredentials | undefined> {
    const row = typeof email === 'string' ? await this.agents.findByEmail(email) : undefined;
    return row && { agent: toAgent(row), passwordHash: row.password_hash, lockedUntil: row.locked_until };
  }

  recordFailedSignIn(m: EntityManager, id: string): Promise<{ locked: boolean; lockedUntil: Date | null }> {
    return this.agents.recordFailedSignIn(m, id);
  }

  recordSuccessfulSignIn(m: EntityManager, id: string): Promise<void> {
    return this.agents.recordSuccessfulSignIn(m, id);
  }

  private async resolveDepartments(keys: string[], role: AgentRole): Promise<string[]> {
    if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string' || !k.trim())) {
      throw HubError.validation('departments must be a list of department slugs or ids', { field: 'departments' });
    }
    if (!keys.length && role !== AgentRole.Admin) {
      throw HubError.validation('an agent or supervisor needs at least one department', { field: 'departments' });
    }
    const ids: string[] = [];
    for (const key of keys) {
      try {
        ids.push((await this.departments.getBySlugOrId(key.trim())).id);
      } catch (e) {
        if (e instanceof HubError && e.code === 'Validation') {
          throw HubError.validation(`departments: "${key}" does not exist`, { field: 'departments' });
        }
        throw e;
      }
    }
    return [...new Set(ids)];
  }
}

function validEmail(email: unknown): string {
  const trimmed = typeof email === 'string' ? email.trim() : '';
  if (!EMAIL_SHAPE.test(trimmed)) throw HubError.validation('email must be an email address such as name@council.gov.uk', { field: 'email' });
  return trimmed;
}

function validPassword(password: unknown): void {
  if (typeof password !== 'string' || password.length < PASSWORD_MIN_LENGTH) {
    throw HubError.validation(`password must be at least ${PASSWORD_MIN_LENGTH} characters`, { field: 'password' });
  }
  if (password.length > PASSWORD_MAX_LENGTH) {
    throw HubError.validation(`password must be at most ${PASSWORD_MAX_LENGTH} characters`, { field: 'password' });
  }
}

export function isUuid(value: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);
}

function toAgent(r: AgentRow): Agent {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    role: r.role as AgentRole,
    presence: r.presence as Presence,
    capacity: r.capacity,
    active: r.active,
    departmentIds: r.department_ids,
    createdAt: new Date(r.created_at).toISOString(),
  };
}
