import { Injectable } from '@nestjs/common';
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { InboxConfig } from '../channel-adapter';
import { Channel } from '../../common/enum';
import { HubError } from '../../common/errors';
import { Db } from '../../database/db';
import { DepartmentsService } from '../../departments/departments.service';
import { InboxesService } from '../../inboxes/inboxes.service';
import { ResidentsService } from '../../residents/residents.service';
import { ATTACHMENT_MAX_BYTES } from '../../attachments/attachment.service';
import { RESIDENT_UPLOAD_TYPES } from '../../attachments/content-type';
import { VisitorTokens } from './visitor-token';
import { availabilityView, WebchatAvailabilityService } from './webchat-availability.service';
import { WebchatSessionDto, WebchatIdentityDto, WEBCHAT_TEXT_MAX } from './webchat.dto';
import type { AvailabilityView, VisitorView } from './webchat.events';
import { WebchatRateLimits } from './webchat-rate-limits';
import { VisitorRow, WebchatVisitorRepository } from './webchat-visitor.repository';
import { toVisitorView } from './webchat.views';

export interface SessionAnswer extends AvailabilityView {
  visitorToken: string;
  expiresAt: string;
  visitor: VisitorView;
  inbox: { name: string; council: string; departmentName: string | null };
  /** Kept for older clients: the hours in English (the widget words `hours` itself). */
  openingHours: string;
  expectedWaitSeconds: number | null;
  services: Array<{ id: string; name: string }>;
  limits: { maxTextLength: number; maxAttachmentBytes: number; attachmentTypes: string[] };
}

/** Who a socket or an upload is: checked from the visitor token on every connection and request. */
export interface Visitor {
  visitorId: string;
  inbox: InboxConfig;
  /** The `webchat` identity address: `visitor:<id>`, or `user:<id>` once verified. */
  address: string;
  row: VisitorRow | undefined;
}

export function anonymousAddress(visitorId: string): string {
  return `visitor:${visitorId}`;
}

/**
 * Web chat sessions: POST /webchat/v1/session issues or renews the visitor token, and every socket and upload is
 * identified from it. A forged, expired or other inbox's token starts a new visitor instead of failing, so a widget
 * always recovers; a signed-in resident (identity verification) is linked to their verified identity.
 */
@Injectable()
export class WebchatSessionService {
  constructor(
    private readonly db: Db,
    private readonly tokens: VisitorTokens,
    private readonly visitors: WebchatVisitorRepository,
    private readonly inboxes: InboxesService,
    private readonly residents: ResidentsService,
    private readonly departments: DepartmentsService,
    private readonly availability: WebchatAvailabilityService,
    private readonly limits: WebchatRateLimits,
  ) {}

  async start(dto: WebchatSessionDto, ip: string): Promise<SessionAnswer> {
    await this.limits.consume('session', ip);
    const inbox = await this.inboxByToken(dto.inbox);
    const claims = await this.tokens.verify(dto.visitorToken);
    let visitorId = claims?.inboxId === inbox.id ? claims.visitorId : randomUUID();
    let row = await this.visitors.find(visitorId);
    if (dto.identity) {
      checkIdentityHash(inbox, dto.identity);
      const address = `user:${dto.identity.id}`;
      // Only this resident's own verified visitor is kept. Anyone else's (an anonymous visitor's pre-chat answers,
      // uploads and conversation, or another signed-in resident's) stays theirs: a visitor of their own.
      if (!row?.verified || row.address !== address) visitorId = randomUUID();
      row = await this.linkVerified(visitorId, inbox, address, dto.identity);
    } else if (row?.verified) {
      // The resident signed out of the council's site: whoever uses this browser next must not see their chat.
      visitorId = randomUUID();
      row = undefined;
    }
    const { token, expiresAt } = await this.tokens.issue({ visitorId, inboxId: inbox.id });
    const [availability, services, departmentName] = await Promise.all([
      this.availability.availability(inbox.departmentId),
      this.departments.listServices(),
      this.availability.departmentName(inbox.departmentId),
    ]);
    return {
      visitorToken: token,
      expiresAt,
      visitor: toVisitorView(visitorId, row),
      inbox: { name: inbox.name, council: typeof inbox.settings.council === 'string' ? inbox.settings.council : inbox.name, departmentName },
      ...availabilityView(availability),
      openingHours: availability.openingHours,
      expectedWaitSeconds: availability.open ? await this.availability.expectedWait(inbox.departmentId, 1) : null,
      services: services.map((s) => ({ id: s.id, name: s.name })).sort((a, b) => a.name.localeCompare(b.name)),
      limits: { maxTextLength: WEBCHAT_TEXT_MAX, maxAttachmentBytes: ATTACHMENT_MAX_BYTES, attachmentTypes: [...RESIDENT_UPLOAD_TYPES] },
    };
  }

  /** The visitor a token names, or Unauthorized (forged, expired, or its inbox is gone). */
  async identify(token: unknown): Promise<Visitor> {
    const claims = await this.tokens.verify(token);
    if (!claims) throw HubError.unauthorized('The visitor token is not valid or has expired');
    const inbox = await this.inboxes.get(claims.inboxId).catch(() => undefined);
    if (!inbox || inbox.channel !== Channel.Webchat) throw HubError.unauthorized('The visitor token is not valid or has expired');
    const row = await this.visitors.find(claims.visitorId);
    return { visitorId: claims.visitorId, inbox, address: row?.address ?? anonymousAddress(claims.visitorId), row };
  }

  private async inboxByToken(token: string): Promise<InboxConfig> {
    try {
      return await this.inboxes.authenticate(token, Channel.Webchat);
    } catch (e) {
      if (e instanceof HubError && e.code === 'Unauthorized') throw HubError.notFound('Web chat inbox');
      throw e;
    }
  }

  private linkVerified(visitorId: string, inbox: InboxConfig, address: string, identity: WebchatIdentityDto): Promise<VisitorRow> {
    return this.db.transaction(async (tx) => {
      await this.residents.resolveVerifiedIdentity(tx, Channel.Webchat, address, identity.name?.trim() || undefined);
      return this.visitors.verify(tx.manager, { id: visitorId, inboxId: inbox.id, address, name: identity.name?.trim() || null, email: identity.email?.toLowerCase() ?? null });
    });
  }
}

/** hash = hex(HMAC-SHA256(inbox secret, id)), compared in constant time. */
function checkIdentityHash(inbox: InboxConfig, identity: WebchatIdentityDto): void {
  const expected = createHmac('sha256', inbox.secret).update(identity.id).digest();
  const given = Buffer.from(identity.hash, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw HubError.unauthorized('identity hash does not match');
}
