import { Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import * as argon2 from 'argon2';
import { CookieOptions } from 'express';
import { randomBytes } from 'node:crypto';
import { Agent, AgentsService, hashPassword } from '../agents/agents.service';
import { AuditService } from '../audit/audit.service';
import { HubError } from '../common/errors';
import { Env } from '../config/env';
import { Db } from '../database/db';
import type { Actor } from './actor';

export const SESSION_COOKIE = 'hub_session';
const TOKEN_AUDIENCE = 'staff';
const TOKEN_ISSUER = 'contact-hub';
/** One message for an unknown email and a wrong password, so sign-in does not reveal who has an account. */
const BAD_CREDENTIALS = 'The email address or password is not correct';

export interface SignedIn {
  token: string;
  agent: Agent;
}

interface StaffTokenClaims {
  sub: string;
}

/**
 * Staff sign-in and token checks. `verify` is the one seam that turns a token into an Actor: REST (StaffGuard),
 * the /console socket and, later, an OIDC login all go through it.
 */
@Injectable()
export class AuthService {
  private dummyHash?: Promise<string>;

  constructor(
    private readonly agents: AgentsService,
    private readonly jwt: JwtService,
    private readonly audit: AuditService,
    private readonly db: Db,
    private readonly env: Env,
  ) {}

  async login(email: string, password: string): Promise<SignedIn> {
    const credentials = await this.agents.findCredentials(email);
    // Always pay for one argon2 verify, so an unknown email answers as slowly as a wrong password.
    const passwordOk = await this.passwordMatches(credentials?.passwordHash ?? (await this.unknownAgentHash()), password);
    if (!credentials || !credentials.agent.active) {
      await this.audit.record(this.db.manager, { actorType: 'agent', action: 'auth.sign-in-failed', subjectType: 'agent', details: { email, reason: credentials ? 'inactive' : 'unknown-email' } });
      throw HubError.unauthorized(BAD_CREDENTIALS);
    }
    const { agent } = credentials;
    if (credentials.lockedUntil && credentials.lockedUntil.getTime() > Date.now()) {
      await this.audit.record(this.db.manager, { actorType: 'agent', actorId: agent.id, action: 'auth.sign-in-refused-locked', subjectType: 'agent', subjectId: agent.id, details: { email } });
      throw this.lockedError(credentials.lockedUntil);
    }
    if (!passwordOk) {
      await this.recordFailure(agent);
      throw HubError.unauthorized(BAD_CREDENTIALS);
    }
    await this.db.transaction(async ({ manager }) => {
      await this.agents.recordSuccessfulSignIn(manager, agent.id);
      await this.audit.record(manager, { actorType: 'agent', actorId: agent.id, action: 'auth.sign-in', subjectType: 'agent', subjectId: agent.id });
    });
    return { token: await this.sign(agent.id), agent };
  }

  /** The actor a token stands for; Unauthorized when it is forged, expired, or its agent is gone or deactivated. */
  async verify(token: string): Promise<Actor> {
    let claims: StaffTokenClaims;
    try {
      claims = await this.jwt.verifyAsync<StaffTokenClaims>(token, { audience: TOKEN_AUDIENCE, issuer: TOKEN_ISSUER });
    } catch {
      throw HubError.unauthorized('The sign-in token is not valid or has expired: sign in again');
    }
    const actor = typeof claims.sub === 'string' ? await this.agents.findActiveActor(claims.sub) : undefined;
    if (!actor) throw HubError.unauthorized('The sign-in token is not valid or has expired: sign in again');
    return actor;
  }

  /** The signed-in agent as the API shows it. */
  me(actor: Actor): Promise<Agent> {
    return this.agents.get(actor.id);
  }

  sessionCookieOptions(): CookieOptions {
    return {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.env.PUBLIC_BASE_URL?.startsWith('https:') ?? false,
      path: '/',
      maxAge: this.env.AUTH_TOKEN_TTL_SECONDS * 1000,
    };
  }

  private sign(agentId: string): Promise<string> {
    return this.jwt.signAsync({ sub: agentId }, { audience: TOKEN_AUDIENCE, issuer: TOKEN_ISSUER, expiresIn: this.env.AUTH_TOKEN_TTL_SECONDS });
  }

  private async recordFailure(agent: Agent): Promise<void> {
    await this.db.transaction(async ({ manager }) => {
      const { locked, lockedUntil } = await this.agents.recordFailedSignIn(manager, agent.id);
      await this.audit.record(manager, { actorType: 'agent', actorId: agent.id, action: 'auth.sign-in-failed', subjectType: 'agent', subjectId: agent.id, details: { email: agent.email, reason: 'wrong-password' } });
      if (locked) {
        await this.audit.record(manager, { actorType: 'system', action: 'auth.locked-out', subjectType: 'agent', subjectId: agent.id, details: { until: lockedUntil } });
      }
    });
  }

  private lockedError(until: Date): HubError {
    const minutes = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 60_000));
    return new HubError('RateLimited', `Too many failed sign-ins: this account is locked; try again in ${minutes} minute${minutes === 1 ? '' : 's'}`, { retryAfterSeconds: minutes * 60 });
  }

  private async passwordMatches(hash: string, password: string): Promise<boolean> {
    if (typeof password !== 'string') return false;
    try {
      return await argon2.verify(hash, password);
    } catch {
      return false; // a malformed stored hash never signs anyone in
    }
  }

  private unknownAgentHash(): Promise<string> {
    this.dummyHash ??= hashPassword(randomBytes(24).toString('hex'));
    return this.dummyHash;
  }
}
