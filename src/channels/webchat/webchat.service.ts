import { Injectable } from '@nestjs/common';
import { AttachmentService, StoredAttachment } from '../../attachments/attachment.service';
import { CasesService } from '../../cases/cases.service';
import { Channel, MessageDirection } from '../../common/enum';
import { HubError } from '../../common/errors';
import { Env } from '../../config/env';
import { Db } from '../../database/db';
import { DepartmentsService } from '../../departments/departments.service';
import { IntakeService } from '../../intake/intake.service';
import { JobQueue } from '../../jobs/job-queue';
import { JobName } from '../../jobs/job.types';
import { MessagesService } from '../../messages/messages.service';
import { RealtimeService } from '../../realtime/realtime.service';
import { ResidentsService } from '../../residents/residents.service';
import { ConversationCaseRow, WebchatReadRepository } from './webchat-read.repository';
import { availabilityView, WebchatAvailabilityService } from './webchat-availability.service';
import { EndDto, PrechatDto, SeenDto, SendDto, SyncDto, WEBCHAT_TEXT_MAX } from './webchat.dto';
import { ConversationView, WEBCHAT_NAMESPACE, WebchatMessage, WebchatRooms, WebchatServerEvents, WebchatSocket, pushToWidget } from './webchat.events';
import { WebchatRateLimits } from './webchat-rate-limits';
import { WebchatReadState } from './webchat-read-state.service';
import { Visitor } from './webchat-session.service';
import { VisitorRow, WebchatVisitorRepository } from './webchat-visitor.repository';
import { decodeWidgetCursor, toVisitorView, toWidgetMessage, widgetCursor } from './webchat.views';

const HISTORY_MAX = 200;
const SYNC_MAX = 500;

/**
 * The resident's side of a web chat, one method per /webchat command. A visitor only ever reaches the conversation
 * of their own identity: no command takes a case id. Messages go through intake like any channel's, keyed on the
 * visitor and the widget's clientId, so a retried send is the same message.
 */
@Injectable()
export class WebchatService {
  constructor(
    private readonly db: Db,
    private readonly intake: IntakeService,
    private readonly reads: WebchatReadRepository,
    private readonly visitors: WebchatVisitorRepository,
    private readonly residents: ResidentsService,
    private readonly messages: MessagesService,
    private readonly cases: CasesService,
    private readonly departments: DepartmentsService,
    private readonly attachments: AttachmentService,
    private readonly availability: WebchatAvailabilityService,
    private readonly readState: WebchatReadState,
    private readonly limits: WebchatRateLimits,
    private readonly realtime: RealtimeService,
    private readonly jobs: JobQueue,
    private readonly env: Env,
  ) {}

  /** On connect: the socket joins its rooms first (nothing pushed meanwhile is missed), then gets the whole state. */
  async hello(socket: WebchatSocket, visitor: Visitor): Promise<WebchatServerEvents['hello']> {
    const { inboxId, address } = socket.data;
    socket.join([WebchatRooms.identity(address), WebchatRooms.inbox(inboxId)]);
    const kase = await this.reads.conversationOf(address, inboxId);
    socket.join(WebchatRooms.department(kase?.department_id ?? visitor.inbox.departmentId));
    if (kase) socket.join(WebchatRooms.case(kase.id));
    const at = await this.reads.now();
    const [messages, availability, queue] = await Promise.all([
      kase ? this.reads.messages(kase.id, HISTORY_MAX) : Promise.resolve([]),
      this.availability.availability(kase?.department_id ?? visitor.inbox.departmentId),
      kase ? this.availability.queue(kase.id, kase.department_id) : Promise.resolve({ position: null, expectedWaitSeconds: null }),
    ]);
    return {
      visitor: toVisitorView(visitor.visitorId, visitor.row),
      conversation: kase ? conversationView(kase) : null,
      messages: messages.map((m) => toWidgetMessage(m, kase?.agent_read_at ?? null)),
      agent: kase?.assignee_name ? { name: kase.assignee_name } : null,
      ...availabilityView(availability),
      queuePosition: queue.position,
      expectedWaitSeconds: queue.expectedWaitSeconds,
      cursor: widgetCursor(at),
    };
  }

  /** The pre-chat form, once: the resident's name, unverified email and phone as identities, the service they chose. */
  async prechat(socket: WebchatSocket, dto: PrechatDto): Promise<{ visitor: ReturnType<typeof toVisitorView> }> {
    await this.limits.consume('command', socket.data.visitorId);
    const name = dto.name.trim();
    if (!name) throw HubError.validation('name: must not be blank', { field: 'name' });
    if (dto.serviceId && !this.departments.serviceById(dto.serviceId)) throw HubError.validation('serviceId: not a service of this council', { field: 'serviceId' });
    const email = dto.email?.trim().toLowerCase() || null;
    const phone = dto.phone ? normalisePhone(dto.phone) : null;
    const visitor = await this.db.transaction(async (tx) => {
      await this.visitors.ensure(tx.manager, { id: socket.data.visitorId, inboxId: socket.data.inboxId, address: socket.data.address });
      const saved = await this.visitors.savePrechat(tx.manager, socket.data.visitorId, { name, email, phone, serviceId: dto.serviceId ?? null });
      if (!saved) return (await this.visitors.find(socket.data.visitorId, tx.manager))!; // asked once: the first answers stand
      const { residentId } = await this.residents.resolveIdentity(tx, Channel.Webchat, socket.data.address, name);
      const addresses = [...(email ? [{ channel: Channel.Email, address: email }] : []), ...(phone ? [{ channel: Channel.Sms, address: phone }] : [])];
      await this.residents.addUnverifiedIdentities(tx, residentId, addresses);
      return saved;
    });
    const kase = await this.reads.conversationOf(socket.data.address, socket.data.inboxId);
    if (kase) await this.fileUnderChosenService(kase.id, visitor.service_id);
    if (kase) await this.postPrechat(kase.id, visitor);
    return { visitor: toVisitorView(socket.data.visitorId, visitor) };
  }

  /** A resident's message, through intake like any channel's; its case becomes this visitor's conversation. */
  async send(socket: WebchatSocket, visitor: Visitor, dto: SendDto): Promise<{ message: WebchatMessage }> {
    const { visitorId, inboxId, address, ip } = socket.data;
    await this.limits.consume('message', visitorId);
    await this.limits.consume('messageIp', ip);
    const text = dto.text.trim();
    const files = await this.ownUploads(visitorId, dto.attachmentIds ?? []);
    if (!text && !files.length) throw HubError.validation('text: must not be empty', { field: 'text' });
    if (Array.from(text).length > WEBCHAT_TEXT_MAX) throw HubError.validation(`text: must be at most ${WEBCHAT_TEXT_MAX} characters`, { field: 'text' });
    const row = (await this.visitors.find(visitorId)) ?? (await this.db.transaction((tx) => this.visitors.ensure(tx.manager, { id: visitorId, inboxId, address })));
    const result = await this.intake.receive(
      {
        channel: Channel.Webchat,
        inboxId,
        externalMessageId: `${visitorId}:${dto.clientId}`,
        sender: { address, name: row.name ?? undefined },
        text,
        attachments: files.map(({ id, filename, contentType, size, url }) => ({ id, filename, contentType, size, url })),
        serviceId: row.service_id ?? undefined,
      },
      visitor.inbox,
    );
    if (!result.duplicate) await this.joinConversation(socket, visitor, row, result.caseId, files);
    const stored = await this.reads.messageForPush(result.messageId);
    if (!stored) throw HubError.notFound('Message', result.messageId);
    return { message: toWidgetMessage(stored, stored.agent_read_at) };
  }

  /** Typing, passed to the agents viewing the case in the console (the resident as who); throttled per socket. */
  async typing(socket: WebchatSocket, typing: boolean): Promise<void> {
    await this.limits.consume('typing', socket.data.visitorId);
    const kase = await this.reads.conversationOf(socket.data.address, socket.data.inboxId);
    if (!kase) return; // nobody to tell before the first message
    this.readState.residentTyping(socket, kase, typing);
  }

  /** Read state: the resident has seen the conversation up to this message. */
  async seen(socket: WebchatSocket, dto: SeenDto): Promise<void> {
    await this.limits.consume('command', socket.data.visitorId);
    const kase = await this.reads.conversationOf(socket.data.address, socket.data.inboxId);
    const message = kase && (await this.reads.message(dto.messageId));
    if (!kase || !message || message.case_id !== kase.id) throw HubError.notFound('Message', dto.messageId);
    await this.readState.residentSaw(kase.id, message.id);
  }

  /** What changed since the cursor (after a reconnect), from the database. */
  async sync(socket: WebchatSocket, dto: SyncDto): Promise<{ messages: WebchatMessage[]; cursor: string }> {
    await this.limits.consume('command', socket.data.visitorId);
    const since = decodeWidgetCursor(dto.since);
    const at = await this.reads.now();
    const kase = await this.reads.conversationOf(socket.data.address, socket.data.inboxId);
    if (!kase) return { messages: [], cursor: widgetCursor(at) };
    socket.join(WebchatRooms.case(kase.id));
    const rows = await this.reads.messagesSince(kase.id, since, SYNC_MAX);
    return { messages: rows.map((m) => toWidgetMessage(m, kase.agent_read_at)), cursor: widgetCursor(at) };
  }

  /** The resident ends the chat: abandoned if nobody had answered; the transcript is emailed if asked for and possible. */
  async end(socket: WebchatSocket, visitor: Visitor, dto: EndDto): Promise<{ transcript: boolean }> {
    await this.limits.consume('command', socket.data.visitorId);
    const kase = await this.reads.conversationOf(socket.data.address, socket.data.inboxId);
    if (!kase) return { transcript: false };
    await this.visitors.markEnded(kase.id);
    if (!kase.first_response_at) await this.cases.markAbandoned(kase.id);
    const email = visitor.row?.email ?? (await this.visitors.find(socket.data.visitorId))?.email;
    const transcript = !!dto.transcript && !!email;
    if (transcript) await this.jobs.enqueue(JobName.WebchatTranscript, { caseId: kase.id, visitorId: socket.data.visitorId }, { jobId: `webchat-transcript:${kase.id}` });
    return { transcript };
  }

  /** The last socket of a visitor gone: if nobody has answered by the grace period's end, the chat was abandoned. */
  async disconnected(socket: WebchatSocket): Promise<void> {
    const kase = await this.reads.conversationOf(socket.data.address, socket.data.inboxId);
    if (!kase || kase.first_response_at) return;
    await this.jobs.enqueue(JobName.WebchatAbandonCheck, { caseId: kase.id, visitorId: socket.data.visitorId }, { delayMs: this.env.WEBCHAT_ABANDON_AFTER_MS });
  }

  /** After a new message: the case is the visitor's conversation, its uploads are linked, the pre-chat answers posted. */
  private async joinConversation(socket: WebchatSocket, { inbox }: Visitor, visitor: VisitorRow, caseId: string, files: StoredAttachment[]): Promise<void> {
    const known = await this.visitors.findConversation(caseId);
    if (known && !files.length && (known.prechat_posted_at || !visitor.prechat_at)) return; // the usual message: nothing new
    const conversation = await this.db.transaction(async (tx) => {
      if (files.length) await this.attachments.link(tx, files.map((f) => f.id), caseId, uploadSource(visitor.id));
      return this.visitors.ensureConversation(tx.manager, caseId, visitor.id);
    });
    if (visitor.prechat_at && !conversation.prechat_posted_at) await this.postPrechat(caseId, visitor);
    if (known) return;
    // A new conversation: every tab (and, verified, every device) of this resident follows the case from now on, on
    // whichever process holds it.
    socket.join(WebchatRooms.case(caseId));
    this.realtime.joinRoom(WEBCHAT_NAMESPACE, WebchatRooms.identity(socket.data.address), WebchatRooms.case(caseId));
    const kase = await this.reads.conversation(caseId);
    if (!kase) return;
    pushToWidget(this.realtime, [WebchatRooms.identity(socket.data.address)], 'conversation', conversationView(kase));
    // Filed under another department than the inbox's (the service chosen): its hours and agents are the ones now.
    if (kase.department_id !== inbox.departmentId) moveDepartment(this.realtime, WebchatRooms.identity(socket.data.address), inbox.departmentId, kase.department_id);
  }

  /** The form came after the first message: the case takes the chosen service if it has none (as a new case would). */
  private async fileUnderChosenService(caseId: string, serviceId: string | null): Promise<void> {
    const service = serviceId ? this.departments.serviceById(serviceId) : undefined;
    if (service) await this.cases.fileUnderChosenService(caseId, { id: service.id, departmentId: service.departmentId });
  }

  /** The pre-chat answers as a system message for the agent, once per case. */
  private async postPrechat(caseId: string, visitor: VisitorRow): Promise<void> {
    const service = visitor.service_id ? this.departments.serviceById(visitor.service_id)?.name : undefined;
    const lines = [`Name: ${visitor.name}`, visitor.email && `Email (not verified): ${visitor.email}`, visitor.phone && `Phone (not verified): ${visitor.phone}`, service && `About: ${service}`];
    await this.db.transaction(async (tx) => {
      if (!(await this.visitors.markPrechatPosted(tx.manager, caseId))) return;
      await this.messages.addStaffMessage(tx, {
        caseId,
        channel: Channel.Webchat,
        direction: MessageDirection.System,
        authorAgentId: null,
        text: `Web chat pre-chat form\n${lines.filter(Boolean).join('\n')}`,
      });
    });
  }

  private async ownUploads(visitorId: string, ids: string[]): Promise<StoredAttachment[]> {
    const unique = [...new Set(ids)];
    const own = await this.attachments.unlinkedFrom(unique, uploadSource(visitorId));
    if (own.length !== unique.length) throw HubError.validation('attachmentIds: not uploads of yours waiting to be sent', { field: 'attachmentIds' });
    return own;
  }
}

/** The widgets in `room` follow another department's `status` pushes. */
export function moveDepartment(realtime: RealtimeService, room: string, from: string, to: string): void {
  realtime.leaveRoom(WEBCHAT_NAMESPACE, room, WebchatRooms.department(from));
  realtime.joinRoom(WEBCHAT_NAMESPACE, room, WebchatRooms.department(to));
}

export function uploadSource(visitorId: string): string {
  return `webchat:${visitorId}`;
}

export function conversationView(kase: Pick<ConversationCaseRow, 'id' | 'reference' | 'status'>): ConversationView {
  return { caseId: kase.id, reference: kase.reference, status: kase.status };
}

/** UK numbers as +44…; others as given, digits only after the plus. */
export function normalisePhone(raw: string): string {
  const digits = raw.replace(/[^\d+]/g, '');
  if (digits.startsWith('+')) return `+${digits.slice(1).replace(/\+/g, '')}`;
  if (digits.startsWith('00')) return `+${digits.slice(2)}`;
  if (digits.startsWith('0')) return `+44${digits.slice(1)}`;
  return digits;
}

