import { createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { AgentRole } from '../common/enum';
import { HubError } from '../common/errors';
import type { Actor } from './actor';

export const ROLES_KEY = 'hub:roles';

/** Only these roles may call the route (StaffGuard checks it). Without it, any signed-in staff member may. */
export const Roles = (...roles: AgentRole[]) => SetMetadata(ROLES_KEY, roles);

/** Where StaffGuard leaves the verified actor on the request. */
export const ACTOR_KEY = 'hubActor';

export type RequestWithActor = { [ACTOR_KEY]?: Actor };

/** The signed-in staff member (set by StaffGuard). */
export const CurrentAgent = createParamDecorator((_data: unknown, ctx: ExecutionContext): Actor => {
  const actor = ctx.switchToHttp().getRequest<RequestWithActor>()[ACTOR_KEY];
  if (!actor) throw HubError.unauthorized();
  return actor;
});
