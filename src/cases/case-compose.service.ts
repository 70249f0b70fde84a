import { Injectable, Logger } from '@nestjs/common';
import { canSeeCase } from '../auth/access';
import type { Actor } from '../auth/actor';
import { ComposeOptions } from '../channels/channel-adapter';
import { ChannelRegistry } from '../channels/channel-registry';
import { HubError } from '../common/errors';
import { InboxesService } from '../inboxes/inboxes.service';
import { MessagesService } from '../messages/messages.service';
import { ResidentsService } from '../residents/residents.service';
import { CaseRepository, CaseRow } from './case.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What channels without a window (or without an answer) allow: anything typed. */
const FREE_TEXT: ComposeOptions = { freeText: true, templates: [] };

/** What the case's channel says about a reply now: whether the resident can be written to, and in what form. */
export interface ReplyConditions {
  /** Why nothing at all can be sent (an opt-out); undefined when something can. */
  refusal?: string;
  options: ComposeOptions;
}

/**
 * What an agent may send on a case right now, asked of the case's channel (ChannelAdapter.replyRefusal and
 * composeOptions) with what the hub knows of the recipient: the identity the resident last wrote from on the case,
 * and when they last wrote from it (the identity's own record, kept by the WhatsApp channels, or their newest
 * message on this case if that is later).
 */
@Injectable()
export class CaseComposeService {
  private readonly logger = new Logger(CaseComposeService.name);

  constructor(
    private readonly caseRows: CaseRepository,
    private readonly messages: MessagesService,
    private readonly residents: ResidentsService,
    private readonly inboxes: InboxesService,
    private readonly channels: ChannelRegistry,
  ) {}

  /** For a case the actor may see (NotFound otherwise). */
  async options(actor: Actor, caseId: string): Promise<ComposeOptions> {
    const kase = await this.visibleCase(actor, caseId);
    if (!kase) throw HubError.notFound('Case', caseId);
    return (await this.conditions(kase, false)).options;
  }

  /** The case if the actor may see it; undefined for a bad id, an unknown case or someone else's department. */
  async visibleCase(actor: Actor, caseId: string): Promise<CaseRow | undefined> {
    const kase = UUID.test(caseId) ? await this.caseRows.findById(caseId) : undefined;
    return kase && canSeeCase(actor, kase) ? kase : undefined;
  }

  /** Why a reply on this case cannot carry files: its channel does not send them (undefined: it does). */
  attachmentRefusal(kase: CaseRow): string | undefined {
    const known = this.channels.channels().includes(kase.channel);
    if (known && this.channels.get(kase.channel).sendsAttachments) return undefined;
    return `${kase.channel} replies cannot carry attachments from the hub (only email and web chat send them); send the text alone`;
  }

  /** `withRefusal: false` leaves out the opt-out question (the console shows the opt-out from the case itself). */
  async conditions(kase: CaseRow, withRefusal = true): Promise<ReplyConditions> {
    if (!this.channels.channels().includes(kase.channel)) return { options: FREE_TEXT };
    const adapter = this.channels.get(kase.channel);
    if (!(withRefusal && adapter.replyRefusal) && !adapter.composeOptions) return { options: FREE_TEXT };
    // Nobody has written on the case (yet): the delivery job says so if a reply is tried.
    const last = await this.messages.lastInbound(kase.id);
    if (!last) return { options: FREE_TEXT };
    const [identity, inbox] = await Promise.all([this.residents.getIdentity(last.identityId), this.inboxes.get(kase.inbox_id)]);
    const refusal = withRefusal ? await adapter.replyRefusal?.({ address: identity.address }, inbox) : undefined;
    if (!adapter.composeOptions) return { refusal, options: FREE_TEXT };
    // The later of the two: a message can be pushed to the console before its channel has stamped the identity.
    const lastInboundAt = latest(identity.last_inbound_at ?? null, last.at);
    try {
      const options = await adapter.composeOptions({ to: { address: identity.address, lastInboundAt }, caseReference: kase.reference, now: new Date() }, inbox);
      return { refusal, options };
    } catch (e) {
      // A channel that cannot answer must not stop the case opening: the delivery job still refuses what it must.
      this.logger.warn(`compose options of case ${kase.id} (${kase.channel}) failed: ${(e as Error).message}`);
      return { refusal, options: FREE_TEXT };
    }
  }
}

function latest(a: Date | null, b: Date): Date {
  return a && a.getTime() > b.getTime() ? a : b;
}
