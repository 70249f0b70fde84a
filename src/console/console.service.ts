import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AgentPresenceService } from '../agents/agent-presence.service';
import { caseScope, visibleDepartmentIds } from '../auth/access';
import type { Actor } from '../auth/actor';
import { CaseClaimService } from '../cases/case-claim.service';
import { CaseComposeService } from '../cases/case-compose.service';
import { CaseReplyService } from '../cases/case-reply.service';
import { CaseRow } from '../cases/case.repository';
import { CaseStatus } from '../common/enum';
import { HubError } from '../common/errors';
import { DeliveryService } from '../delivery/delivery.service';
import { DepartmentsService } from '../departments/departments.service';
import { EventBus } from '../events/event-bus';
import { MessageRow } from '../messages/message.repository';
import { toResidentDto, IdentityDto } from '../residents/residents.dto';
import { ResidentsService } from '../residents/residents.service';
import { CannedRepliesService, CannedReply, fillPlaceholders } from './canned-replies.service';
import { CommandsInFlight } from './commands-in-flight';
import { ComposeOptionsView, toComposeOptionsView } from '../cases/compose-options.view';
import { ConsolePresenceService } from './console-presence.service';
import { ConsoleReadRepository } from './console-read.repository';
import type { ConsoleSocket } from './console.events';
import {
  CannedDto,
  CannedListDto,
  CaseIdDto,
  ClaimDto,
  ClaimNextDto,
  ColleaguesDto,
  PriorityDto,
  QueueListDto,
  ReplyDto,
  RetryDto,
  StatusDto,
  SyncDto,
  TextDto,
  TransferDto,
} from './console.dto';
import { CaseSummary, ColleagueView, decodeSyncCursor, MessageView, syncCursor, toCaseSummary, toMessageView } from './console.views';

/** The queue shows the cases still being worked unless the client asks for other statuses. */
const ACTIVE = [CaseStatus.New, CaseStatus.Open, CaseStatus.Pending];
const QUEUE_MAX = 500;
const TRANSCRIPT_MAX = 500;
const OTHER_CASES_MAX = 50;
/** Past this many changes a re-sync is a reload: the answer says `reset` and the client lists the queue again. */
const SYNC_CASES_MAX = 1000;
const SYNC_MESSAGES_MAX = 2000;

/**
 * The /console commands (docs/console-protocol.md), one method each: the case rules live in CaseClaimService and
 * CaseReplyService; this turns their rows into the protocol's views, always within the actor's scope.
 */
@Injectable()
export class ConsoleService {
  constructor(
    private readonly reads: ConsoleReadRepository,
    private readonly claims: CaseClaimService,
    private readonly replies: CaseReplyService,
    private readonly delivery: DeliveryService,
    private readonly residents: ResidentsService,
    private readonly canned: CannedRepliesService,
    private readonly sessions: ConsolePresenceService,
    private readonly events: EventBus,
    private readonly inFlight: CommandsInFlight,
    private readonly presence: AgentPresenceService,
    private readonly departments: DepartmentsService,
    private readonly compose: CaseComposeService,
  ) {}

  async queue(actor: Actor, dto: QueueListDto): Promise<{ cases: CaseSummary[]; cursor: string }> {
    if (dto.departmentId) assertDepartment(actor, dto.departmentId);
    const at = await this.reads.now();
    const rows = await this.reads.queue(caseScope(actor), { departmentId: dto.departmentId, channel: dto.channel, statuses: dto.status?.length ? dto.status : ACTIVE }, QUEUE_MAX);
    return { cases: rows.map(toCaseSummary), cursor: syncCursor(at) };
  }

  /** One function for every claim, so a batch of claims reads their cases in one statement. */
  private readonly claimedSummaries = (m: EntityManager, caseIds: string[]) => this.reads.summariesIn(m, caseIds);

  /** The case with its transcript, the resident's other cases and identities; the socket joins the case's room. */
  async open(socket: ConsoleSocket, { caseId }: CaseIdDto) {
    const scope = caseScope(socket.data.actor);
    const row = await this.reads.summary(scope, caseId);
    if (!row) throw HubError.notFound('Case', caseId);
    const [messages, otherCases, resident, compose] = await Promise.all([
      this.reads.messages(caseId, TRANSCRIPT_MAX),
      this.reads.residentCases(scope, row.resident_id, caseId, OTHER_CASES_MAX),
      this.residents.getWithIdentities(row.resident_id),
      this.compose.options(socket.data.actor, caseId),
    ]);
    this.sessions.view(socket, caseId);
    // Not a change of data: the resident's channel may show their messages as read (web chat).
    this.events.publish('case.opened', { caseId, agentId: socket.data.actor.id });
    const identities: IdentityDto[] = toResidentDto(resident.resident, resident.identities).identities;
    return { case: toCaseSummary(row), messages: messages.map(toMessageView), otherCases: otherCases.map(toCaseSummary), identities, compose: toComposeOptionsView(compose) };
  }

  closeView(socket: ConsoleSocket, { caseId }: CaseIdDto): Record<string, never> {
    this.sessions.stopViewing(socket, caseId);
    return {};
  }

  /**
   * Claims are answered before the news they make goes out (CommandsInFlight); the claimed case is read inside the
   * claim's transaction, so the answer waits for no read after commit.
   */
  async claimNext(actor: Actor, dto: ClaimNextDto): Promise<{ case: CaseSummary }> {
    return this.inFlight.track(
      this.claims.claimNext(actor, dto.departmentId, this.claimedSummaries).then((row) => (row.view ? { case: toCaseSummary(row.view) } : this.summaryOf(row))),
    );
  }

  async claim(actor: Actor, dto: ClaimDto): Promise<{ case: CaseSummary }> {
    return this.inFlight.track(this.claims.claim(actor, dto.caseId, dto.takeOver ?? false).then((row) => this.summaryOf(row)));
  }

  async release(actor: Actor, dto: CaseIdDto): Promise<{ case: CaseSummary }> {
    return this.summaryOf(await this.claims.release(actor, dto.caseId));
  }

  async transfer(actor: Actor, dto: TransferDto): Promise<{ case: CaseSummary }> {
    return this.summaryOf(await this.claims.transfer(actor, dto.caseId, { departmentId: dto.departmentId, agentId: dto.agentId, note: dto.note }));
  }

  /**
   * Who the case may be transferred to: the active members of its department (or of `departmentId`), with presence
   * and load, available and least loaded first. The case must be one the actor may see.
   */
  async colleagues(actor: Actor, dto: ColleaguesDto): Promise<{ departmentId: string; agents: ColleagueView[] }> {
    const row = await this.reads.summary(caseScope(actor), dto.caseId);
    if (!row) throw HubError.notFound('Case', dto.caseId);
    const departmentId = dto.departmentId ? (await this.departments.getBySlugOrId(dto.departmentId)).id : row.department_id;
    const agents = await this.presence.colleagues(departmentId);
    return { departmentId, agents: agents.map((a) => ({ id: a.id, name: a.name, role: a.role, presence: a.presence, capacity: a.capacity, load: a.load })) };
  }

  async status(actor: Actor, dto: StatusDto): Promise<{ case: CaseSummary }> {
    return this.summaryOf(await this.claims.setStatus(actor, dto.caseId, dto.status));
  }

  async priority(actor: Actor, dto: PriorityDto): Promise<{ case: CaseSummary }> {
    return this.summaryOf(await this.claims.setPriority(actor, dto.caseId, dto.priority));
  }

  /**
   * Into the delivery pipeline on the case's channel (queued now, status events follow); owner only. Once per
   * `clientId`: a repeat is acked with the same message as it is now, and `duplicate: true` (CaseReplyService).
   */
  async reply(actor: Actor, dto: ReplyDto): Promise<{ message: MessageView; clientId?: string; duplicate?: true }> {
    const { message, duplicate } = await this.replies.sendOnce(actor, dto.caseId, { text: dto.text, templateId: dto.templateId, attachmentIds: dto.attachmentIds, clientId: dto.clientId });
    return { message: await this.viewOf(message), ...(dto.clientId === undefined ? {} : { clientId: dto.clientId }), ...(duplicate ? { duplicate: true as const } : {}) };
  }

  /** What may be sent on the case now: free text, or (WhatsApp past 24 hours) only approved templates, and why. */
  async composeOptions(actor: Actor, dto: CaseIdDto): Promise<{ compose: ComposeOptionsView }> {
    return { compose: toComposeOptionsView(await this.compose.options(actor, dto.caseId)) };
  }

  /** An internal note; agents it names with @mentions (who may see the case) get a notification. */
  async note(actor: Actor, dto: TextDto): Promise<{ message: MessageView }> {
    const message = await this.replies.addNote(actor, dto.caseId, dto.text);
    await this.notifyMentions(actor, message);
    return { message: await this.viewOf(message) };
  }

  async cannedList(actor: Actor, dto: CannedListDto): Promise<{ replies: CannedReply[] }> {
    if (dto.departmentId) assertDepartment(actor, dto.departmentId);
    return { replies: await this.canned.forDepartments(dto.departmentId ? [dto.departmentId] : (visibleDepartmentIds(actor) ?? null)) };
  }

  /** A canned reply for this case, placeholders filled (the agent edits it before sending). */
  async cannedFor(actor: Actor, dto: CannedDto): Promise<{ text: string }> {
    const row = await this.reads.summary(caseScope(actor), dto.caseId);
    if (!row) throw HubError.notFound('Case', dto.caseId);
    const reply = (await this.canned.forDepartments([row.department_id])).find((r) => r.id === dto.cannedId);
    if (!reply) throw HubError.notFound('Canned reply', dto.cannedId);
    const department = (await this.reads.departmentName(row.department_id)) ?? null;
    return {
      text: fillPlaceholders(reply.text, {
        'resident.name': row.resident_name,
        'case.reference': row.reference,
        'agent.name': actor.name,
        'department.name': department,
        'service.name': row.service_name,
      }),
    };
  }

  /**
   * A failed outbound message on a case the actor may see, sent again for real (a fresh round of attempts), by the
   * rules of DeliveryService.resend: not on a closed case, and among agents only by the case's owner.
   */
  async retry(actor: Actor, { messageId }: RetryDto): Promise<{ message: MessageView }> {
    return { message: await this.viewOf(await this.delivery.resend(messageId, actor)) };
  }

  /**
   * What changed since the cursor, from the database: cases in scope, and messages of the cases this socket has
   * open (and of `caseIds`, whose rooms it joins again after a reconnect). Too much: `reset`, list the queue again.
   */
  async sync(socket: ConsoleSocket, dto: SyncDto) {
    const since = decodeSyncCursor(dto.since);
    const scope = caseScope(socket.data.actor);
    const at = await this.reads.now();
    const reopened = await this.reads.visibleCaseIds(scope, dto.caseIds ?? []);
    for (const caseId of reopened) this.sessions.view(socket, caseId);
    const cases = await this.reads.casesChangedSince(scope, since.at, SYNC_CASES_MAX + 1);
    const open = await this.reads.visibleCaseIds(scope, [...new Set([...this.sessions.openCases(socket), ...reopened])]);
    const messages = await this.reads.messagesChangedSince(open, since.at, SYNC_MESSAGES_MAX + 1);
    if (cases.length > SYNC_CASES_MAX || messages.length > SYNC_MESSAGES_MAX) return { cases: [], messages: [], cursor: syncCursor(at), reset: true };
    return { cases: cases.map(toCaseSummary), messages: messages.map(toMessageView), cursor: syncCursor(at), reset: false };
  }

  private async summaryOf(row: CaseRow): Promise<{ case: CaseSummary }> {
    const summary = await this.reads.summaryForPush(row.id);
    if (!summary) throw HubError.notFound('Case', row.id);
    return { case: toCaseSummary(summary) };
  }

  private async viewOf(message: MessageRow): Promise<MessageView> {
    const view = await this.reads.message(message.id);
    if (!view) throw HubError.notFound('Message', message.id);
    return toMessageView(view);
  }

  private async notifyMentions(actor: Actor, note: MessageRow): Promise<void> {
    if (!note.text.includes('@')) return;
    const summary = await this.reads.summaryForPush(note.case_id);
    if (!summary) return;
    const candidates = await this.reads.mentionable(summary.department_id);
    const agentIds = candidates.filter((a) => a.id !== actor.id && (mentions(note.text, a.name) || mentions(note.text, a.email.split('@')[0]))).map((a) => a.id);
    // The note is committed: this is after commit, like every event.
    if (agentIds.length) this.events.publish('note.mentioned', { caseId: note.case_id, messageId: note.id, agentIds, byAgentId: actor.id });
  }
}

/** A department the actor works in (admins: any), else NotFound: another department is not theirs to know. */
function assertDepartment(actor: Actor, departmentId: string): void {
  const visible = visibleDepartmentIds(actor);
  if (visible && !visible.includes(departmentId)) throw HubError.notFound('Department', departmentId);
}

/** Whether the text names `who` as an @mention: "@Jo Bloggs" or "@jo.bloggs", case-insensitive, as a whole word. */
export function mentions(text: string, who: string): boolean {
  if (!who.trim()) return false;
  const escaped = who.trim().replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+');
  return new RegExp(`(^|[^\\w@])@${escaped}(?![\\w-])`, 'iu').test(text);
}
