import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { canSeeCase } from '../auth/access';
import type { Actor } from '../auth/actor';
import { ComposeTemplate } from '../channels/channel-adapter';
import { CaseStatus, MessageDirection } from '../common/enum';
import { HubError } from '../common/errors';
import { Db, Tx } from '../database/db';
import { redactCardData } from '../intake/redaction';
import { MessageRow } from '../messages/message.repository';
import { MessagesService } from '../messages/messages.service';
import { StoredAttachment } from '../attachments/attachment.service';
import { CaseAttachmentsService } from './case-attachments.service';
import { CaseClaimService } from './case-claim.service';
import { CaseComposeService } from './case-compose.service';
import { closedCase } from './case-status';
import { CaseRepository, CaseRow } from './case.repository';
import { CasesService } from './cases.service';

/** Longest reply or note, in characters, after trimming. */
export const STAFF_TEXT_MAX = 4000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A reply as sent: `duplicate` when it is one the case already had under the same client id (nothing new stored). */
export interface SentReply {
  message: MessageRow;
  duplicate: boolean;
}

/** Thrown inside the reply's transaction when its client id was taken: rolls back whatever the repeat did (a claim). */
class RepeatedReply extends Error {
  constructor(readonly earlier: MessageRow) {
    super('reply already stored under this client id');
  }
}

/**
 * What staff write on a case: replies to the resident and internal notes.
 *
 * A reply is stored `queued` on the channel the case came in on and delivered by a job after commit (the agent
 * never waits for the provider). The first reply stamps the case's first response.
 *
 * Exclusive ownership: only the case's owner replies. A reply on an unowned case makes the replier its owner (the
 * same conditional update as a claim); someone else's case is Forbidden (a supervisor takes it over first). A case
 * outside the actor's departments is NotFound (auth/access.ts). Notes need only sight of the case.
 *
 * Status: a `new` case the replier owns becomes `open` (they are working it; a claim by reply does the same).
 * `open`, `pending` and `resolved` cases keep their status: waiting on the resident (`pending`) or closing the
 * case is the agent's explicit choice. A closed case refuses replies; notes are allowed on any case, they never
 * leave the hub.
 *
 * Sent once: a reply may carry the client's own id for it (`clientId`, the console's draft). The same (case, clientId)
 * from the same agent is one message however often it is sent (a double press, a command retried after a dropped
 * socket, both at once): the repeat stores, audits, emits and delivers nothing, and is answered with the message as
 * first stored (its text, not the repeat's). The unique key on (case_id, client_id) decides between concurrent
 * sends. Another agent's clientId on the case is a Conflict. Without a clientId every send is a new reply.
 */
@Injectable()
export class CaseReplyService {
  constructor(
    private readonly db: Db,
    private readonly caseRows: CaseRepository,
    private readonly cases: CasesService,
    private readonly messages: MessagesService,
    private readonly audit: AuditService,
    private readonly claims: CaseClaimService,
    private readonly compose: CaseComposeService,
    private readonly files: CaseAttachmentsService,
  ) {}

  /**
   * A reply as the API and the console send it: typed `text` or an approved template's `templateId`, not both, with
   * the files staff attached to the case that `attachmentIds` names (CaseAttachmentsService).
   */
  async send(actor: Actor, caseId: string, reply: { text?: string; templateId?: string; attachmentIds?: unknown }): Promise<MessageRow> {
    return (await this.sendOnce(actor, caseId, reply)).message;
  }

  /** send(), once per `clientId` (see the class): a repeat answers the reply already stored, `duplicate: true`. */
  async sendOnce(actor: Actor, caseId: string, reply: { text?: string; templateId?: string; attachmentIds?: unknown; clientId?: string }): Promise<SentReply> {
    if (reply.text !== undefined && reply.templateId !== undefined) throw HubError.validation('Send either text or templateId, not both', { field: 'templateId' });
    const { clientId } = reply;
    // A repeat is answered before the checks of a new reply (the case may have been closed since the first went out).
    // Only a shortcut: the unique key, not this read, is what keeps two concurrent sends to one message.
    const earlier = clientId === undefined ? undefined : await this.earlierReply(actor, caseId, clientId);
    if (earlier) return { message: earlier, duplicate: true };
    try {
      const message = reply.templateId !== undefined
        ? await this.templateReply(actor, caseId, reply.templateId, reply.attachmentIds, clientId)
        : await this.typedReply(actor, caseId, reply.text as string, reply.attachmentIds, clientId);
      return { message, duplicate: false };
    } catch (e) {
      if (e instanceof RepeatedReply) return { message: e.earlier, duplicate: true };
      throw e;
    }
  }

  /**
   * A typed reply. Where the channel takes only approved templates now (WhatsApp past 24 hours) it is refused here,
   * unless it is exactly one of the templates as offered (filled in for this case).
   */
  private async typedReply(actor: Actor, caseId: string, text: string, attachmentIds?: unknown, clientId?: string): Promise<MessageRow> {
    const clean = staffText(text);
    const options = await this.refuseUnreachable(actor, caseId, attachmentIds);
    if (options && !options.freeText && !options.templates.some((t) => t.text === clean.text)) {
      throw HubError.conflict(`Reply not sent: ${options.reason ?? 'only an approved template can be sent now'}`, {
        reason: 'templates-only',
        templates: options.templates.map((t) => t.id),
      });
    }
    return this.storeReply(actor, caseId, clean, options && (await this.files.forReply(caseId, attachmentIds)), clientId);
  }

  /**
   * One of the case's approved templates (by id, or by name), sent through the delivery pipeline. The stored message
   * is the template's text as the resident reads it; the channel recognises it at delivery and sends the template.
   */
  private async templateReply(actor: Actor, caseId: string, templateId: string, attachmentIds?: unknown, clientId?: string): Promise<MessageRow> {
    const options = await this.refuseUnreachable(actor, caseId, attachmentIds);
    if (!options) throw HubError.notFound('Case', caseId);
    const template = options.templates.find((t) => t.id === templateId) ?? options.templates.find((t) => t.name === templateId);
    if (!template) throw HubError.validation(`templateId: ${noSuchTemplate(templateId, options.templates)}`, { field: 'templateId' });
    return this.storeReply(actor, caseId, staffText(template.text), await this.files.forReply(caseId, attachmentIds), clientId);
  }

  /**
   * `files`: checked before the transaction, as they are read on the pool (the embedded database has one connection).
   * A `clientId` the case already has throws RepeatedReply: the transaction rolls back, the caller answers the earlier.
   */
  private storeReply(actor: Actor, caseId: string, clean: StaffText, files: StoredAttachment[] = [], clientId?: string): Promise<MessageRow> {
    return this.db.transaction(async (tx) => {
      const locked = await this.lockWorkable(tx, actor, caseId);
      if (locked.status === CaseStatus.Closed) throw closedCase(locked);
      const kase = await this.claims.ensureOwner(tx, actor, locked);
      const message = await this.store(tx, actor, kase, MessageDirection.Outbound, clean, files, clientId);
      const stamped = await this.caseRows.markFirstResponse(tx.manager, kase.id, message.created_at);
      if (kase.status === CaseStatus.New && kase.assignee_id === actor.id) {
        await this.cases.changeStatus(tx, kase.id, CaseStatus.Open);
      } else if (stamped) {
        tx.emit('case.updated', { caseId: kase.id, version: stamped.version, status: stamped.status });
      }
      return message;
    });
  }

  async addNote(actor: Actor, caseId: string, text: string): Promise<MessageRow> {
    const clean = staffText(text);
    return this.db.transaction(async (tx) => {
      const kase = await this.lockWorkable(tx, actor, caseId);
      return this.store(tx, actor, kase, MessageDirection.Note, clean);
    });
  }

  /**
   * Asks the case's channel whether its resident can be written to at all (an SMS opt-out): refused here, nothing is
   * stored and the agent sees why. Before the transaction, as the channel answers on its own connection (the embedded
   * database has one); a STOP landing in between is still caught when the delivery job sends. Answers what may be
   * sent (free text, templates), or undefined for a case the actor may not see (the transaction answers NotFound).
   */
  private async refuseUnreachable(actor: Actor, caseId: string, attachmentIds?: unknown) {
    const kase = await this.compose.visibleCase(actor, caseId);
    if (!kase) return undefined;
    if (kase.status === CaseStatus.Closed) throw closedCase(kase);
    const noFiles = Array.isArray(attachmentIds) && attachmentIds.length ? this.compose.attachmentRefusal(kase) : undefined;
    if (noFiles) throw HubError.conflict(`Reply not sent: ${noFiles}`, { reason: 'attachments-unsupported', channel: kase.channel });
    const { refusal, options } = await this.compose.conditions(kase);
    if (refusal) throw HubError.conflict(`Reply not sent: ${refusal}`, { reason: 'recipient-unreachable', channel: kase.channel });
    return options;
  }

  /**
   * The reply this agent already sent on the case under `clientId`, if any (and the case is still theirs to see).
   * Another agent's is a Conflict: a client id names one reply, not a way to answer someone else's.
   */
  private async earlierReply(actor: Actor, caseId: string, clientId: string): Promise<MessageRow | undefined> {
    if (!UUID.test(caseId)) return undefined;
    const earlier = await this.messages.findByClientId(caseId, clientId);
    if (!earlier || !(await this.compose.visibleCase(actor, caseId))) return undefined;
    return this.sameSender(actor, earlier);
  }

  private sameSender(actor: Actor, earlier: MessageRow): MessageRow {
    if (earlier.author_agent_id !== actor.id) {
      throw HubError.conflict('Reply not sent: clientId already names another agent’s reply on this case; send it with a new clientId', { field: 'clientId', reason: 'client-id-taken' });
    }
    return earlier;
  }

  /** The case, locked for this transaction, if the actor may see it (their departments' and their own); else NotFound. */
  private async lockWorkable(tx: Tx, actor: Actor, caseId: string): Promise<CaseRow> {
    const kase = UUID.test(caseId) ? await this.caseRows.findByIdForUpdate(tx.manager, caseId) : undefined;
    if (!kase || !canSeeCase(actor, kase)) throw HubError.notFound('Case', caseId);
    return kase;
  }

  /** `clientId` (outbound only): a message the case already has under it throws RepeatedReply (nothing stored or audited). */
  private async store(tx: Tx, actor: Actor, kase: CaseRow, direction: MessageDirection.Outbound | MessageDirection.Note, clean: StaffText, files: StoredAttachment[] = [], clientId?: string): Promise<MessageRow> {
    const fields = { caseId: kase.id, channel: kase.channel, authorAgentId: actor.id, text: clean.text, attachments: files, redactions: clean.redactions };
    let message: MessageRow;
    if (clientId !== undefined && direction === MessageDirection.Outbound) {
      const { row, stored } = await this.messages.addClientReply(tx, { ...fields, direction, clientId });
      if (!stored) throw new RepeatedReply(this.sameSender(actor, row));
      message = row;
    } else {
      message = await this.messages.addStaffMessage(tx, { ...fields, direction });
    }
    if (clean.redactions) {
      await this.audit.record(tx.manager, {
        actorType: 'agent',
        actorId: actor.id,
        action: 'message.card-data-removed',
        subjectType: 'message',
        subjectId: message.id,
        details: clean.redactions,
      });
    }
    return message;
  }
}

interface StaffText {
  text: string;
  redactions: Record<string, number> | null;
}

function noSuchTemplate(templateId: string, templates: ComposeTemplate[]): string {
  if (!templates.length) return `this case's channel has no approved templates (asked for "${templateId}")`;
  return `no approved template "${templateId}" on this case's inbox (it has ${templates.map((t) => t.id).join(', ')})`;
}

/** Trimmed, 1..STAFF_TEXT_MAX characters, card numbers removed (the hub never holds one, whoever typed it). */
export function staffText(text: unknown): StaffText {
  if (typeof text !== 'string') throw HubError.validation('text: must be a string', { field: 'text' });
  const trimmed = text.trim();
  const length = Array.from(trimmed).length;
  if (length === 0) throw HubError.validation('text: must not be empty', { field: 'text' });
  if (length > STAFF_TEXT_MAX) throw HubError.validation(`text: must be at most ${STAFF_TEXT_MAX} characters (it is ${length})`, { field: 'text' });
  const redacted = redactCardData(trimmed);
  return {
    text: redacted.text,
    redactions: redacted.cardNumbers > 0 ? { cardNumbers: redacted.cardNumbers, expiryDates: redacted.expiryDates, securityCodes: redacted.securityCodes } : null,
  };
}
