import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { Request } from 'express';
import { AgentRole } from '../common/enum';
import { bearerToken } from '../common/bearer';
import { HubError } from '../common/errors';
import { Env } from '../config/env';
import { AuthService, SESSION_COOKIE } from './auth.service';
import { ACTOR_KEY, RequestWithActor, ROLES_KEY } from './decorators';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Staff authentication for REST: `Authorization: Bearer <token>` or the `hub_session` cookie. A browser sends the
 * cookie on its own, so cookie-authenticated unsafe requests must prove they came from our pages (a header a
 * cross-site form cannot set, or our own Origin). Bearer tokens are never sent automatically: no such check.
 */
@Injectable()
export class StaffGuard implements CanActivate {
  constructor(
    private readonly auth: AuthService,
    private readonly reflector: Reflector,
    private readonly env: Env,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<Request & RequestWithActor>();
    const bearer = bearerToken(req.headers.authorization);
    const cookie = (req.cookies as Record<string, string> | undefined)?.[SESSION_COOKIE];
    const token = bearer ?? cookie;
    if (!token) throw HubError.unauthorized('Sign in first: send Authorization: Bearer <token> or the session cookie');
    const actor = await this.auth.verify(token);
    if (!bearer && !SAFE_METHODS.has(req.method)) this.checkSameOrigin(req);
    const roles = this.reflector.getAllAndOverride<AgentRole[] | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]);
    if (roles?.length && !roles.includes(actor.role)) {
      throw HubError.forbidden(`This needs the role ${roles.join(' or ')}; you are signed in as ${actor.role}`);
    }
    req[ACTOR_KEY] = actor;
    return true;
  }

  private checkSameOrigin(req: Request): void {
    if (req.headers['x-requested-with']) return;
    const origin = req.headers.origin;
    if (origin && this.allowedOrigins(req).includes(origin)) return;
    throw HubError.forbidden('A request signed in by cookie must send X-Requested-With or come from this site (cross-site request refused)');
  }

  private allowedOrigins(req: Request): string[] {
    const own = [`${req.protocol}://${req.get('host')}`];
    if (this.env.PUBLIC_BASE_URL) own.push(new URL(this.env.PUBLIC_BASE_URL).origin);
    return own;
  }
}
