import { JwtService } from '@nestjs/jwt';

const AUDIENCE = 'webchat';
const ISSUER = 'contact-hub';
export const VISITOR_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;

export interface VisitorClaims {
  visitorId: string;
  inboxId: string;
}

/**
 * The widget's visitor token: a JWT (HS256, the hub's secret) naming the visitor and the inbox, nothing personal, so
 * the widget may keep it in localStorage. Its own audience: a visitor token is never a staff token, nor the reverse.
 */
export class VisitorTokens {
  constructor(private readonly jwt: JwtService) {}

  async issue(claims: VisitorClaims): Promise<{ token: string; expiresAt: string }> {
    const token = await this.jwt.signAsync({ sub: claims.visitorId, inbox: claims.inboxId }, { audience: AUDIENCE, issuer: ISSUER, expiresIn: VISITOR_TOKEN_TTL_SECONDS });
    return { token, expiresAt: new Date(Date.now() + VISITOR_TOKEN_TTL_SECONDS * 1000).toISOString() };
  }

  /** The claims of a genuine, unexpired visitor token; undefined for anything else (forged, expired, a staff token). */
  async verify(token: unknown): Promise<VisitorClaims | undefined> {
    if (typeof token !== 'string' || !token || token.length > 2000) return undefined;
    try {
      const claims = await this.jwt.verifyAsync<{ sub?: unknown; inbox?: unknown }>(token, { audience: AUDIENCE, issuer: ISSUER, algorithms: ['HS256'] });
      if (!isUuid(claims.sub) || !isUuid(claims.inbox)) return undefined;
      return { visitorId: claims.sub, inboxId: claims.inbox };
    } catch {
      return undefined;
    }
  }
}

function isUuid(v: unknown): v is string {
  return typeof v === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(v);
}
