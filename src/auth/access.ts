import { AgentRole } from '../common/enum';
import type { Actor } from './actor';

/**
 * Department scoping, one rule for every read and write on cases: admins see every case; agents and supervisors
 * see their departments' cases (and any case assigned to them). Outside that, a case answers NotFound, so its
 * existence does not leak.
 *
 * `undefined` means "every department"; a list means only those.
 */
export function visibleDepartmentIds(actor: Actor): string[] | undefined {
  return actor.role === AgentRole.Admin ? undefined : actor.departmentIds;
}

export function canSeeCase(actor: Actor, kase: { department_id: string; assignee_id: string | null }): boolean {
  return actor.role === AgentRole.Admin || actor.departmentIds.includes(kase.department_id) || kase.assignee_id === actor.id;
}

/** The SQL-side scope of a query: the actor's departments (null for all) and the actor's id (their own cases). */
export interface CaseScope {
  departmentIds: string[] | null;
  agentId: string;
}

export function caseScope(actor: Actor): CaseScope {
  return { departmentIds: visibleDepartmentIds(actor) ?? null, agentId: actor.id };
}
