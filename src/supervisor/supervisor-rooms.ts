import type { Actor } from '../auth/actor';
import { AgentRole } from '../common/enum';

/** Supervisors and admins on /console join one room per department they may see (docs/supervisor-contract). */
export const SUPERVISOR_ROOM_PREFIX = 'supervisors:';

export const supervisorRoom = (departmentId: string) => `${SUPERVISOR_ROOM_PREFIX}${departmentId}`;

/** The supervisor rooms a console socket joins on connect: none for agents. */
export function supervisorRoomsFor(actor: Actor, departmentIds: string[]): string[] {
  return actor.role === AgentRole.Supervisor || actor.role === AgentRole.Admin ? departmentIds.map(supervisorRoom) : [];
}

/** The departments of the supervisor rooms a socket is in (its scope for the metrics push). */
export function supervisedDepartments(rooms: Iterable<string>): string[] {
  return [...rooms].filter((r) => r.startsWith(SUPERVISOR_ROOM_PREFIX)).map((r) => r.slice(SUPERVISOR_ROOM_PREFIX.length)).sort();
}
