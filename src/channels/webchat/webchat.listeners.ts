import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { Channel, DeliveryStatus, MessageDirection } from '../../common/enum';
import { DeliveryService } from '../../delivery/delivery.service';
import { HubEvents } from '../../events/hub-events';
import { RealtimeService } from '../../realtime/realtime.service';
import { WebchatChannelAdapter } from './webchat.adapter';
import { WebchatAvailabilityService } from './webchat-availability.service';
import { WebchatReadRepository } from './webchat-read.repository';
import { providerIdOf, WebchatReadState } from './webchat-read-state.service';
import { pushToWidget, WEBCHAT_NAMESPACE, WebchatRooms } from './webchat.events';
import { conversationView, moveDepartment } from './webchat.service';
import { toWidgetMessage } from './webchat.views';

/** Queue positions of a department are recomputed at most this often, however many cases move. */
const QUEUE_PUSH_DEBOUNCE_MS = 250;
const QUEUE_PUSH_MAX = 500;

/**
 * Committed domain events → widget pushes, one method per event. Cheap to skip: nothing is read when no widget is
 * connected (one process, no Redis), and events of other channels' cases stop at one small read.
 */
@Injectable()
export class WebchatListeners {
  private readonly logger = new Logger('WebchatPush');
  private readonly queueTimers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly reads: WebchatReadRepository,
    private readonly readState: WebchatReadState,
    private readonly availability: WebchatAvailabilityService,
    private readonly adapter: WebchatChannelAdapter,
    private readonly delivery: DeliveryService,
    private readonly realtime: RealtimeService,
  ) {}

  /** A resident's message reaches their other tabs; an agent with the case open has read it. An agent's reply: read too. */
  @OnEvent('message.created')
  onMessageCreated(e: HubEvents['message.created']): void {
    if (e.channel !== Channel.Webchat || !this.listening()) return;
    this.run(`message ${e.messageId}`, async () => {
      if (e.direction === MessageDirection.Outbound) return this.readState.agentRead(e.caseId);
      if (e.direction !== MessageDirection.Inbound) return;
      const row = await this.reads.messageForPush(e.messageId);
      if (!row) return;
      // The sender's own room too: a first message's case room may not be joined yet by the resident's other tabs.
      const rooms = [WebchatRooms.case(e.caseId), ...(row.sender_address ? [WebchatRooms.identity(row.sender_address)] : [])];
      pushToWidget(this.realtime, rooms, 'message', toWidgetMessage(row, row.agent_read_at));
      if (await this.readState.agentViewing(e.caseId)) await this.readState.agentRead(e.caseId);
    });
  }

  /**
   * Once a reply's `sent` is committed (status only moves forward): `delivered` if it found a widget open, and `read`
   * if the widget's `seen` already covered it (it can arrive before `sent`, when the reply had no provider id yet).
   */
  @OnEvent('message.status-changed')
  onMessageStatus(e: HubEvents['message.status-changed']): void {
    const pushed = e.status === DeliveryStatus.Sent ? this.adapter.takePushed(e.messageId) : undefined;
    if (!pushed) return;
    this.run(`delivered ${e.messageId}`, async () => {
      if (pushed.deliveredToWidget) await this.delivery.applyProviderStatus(Channel.Webchat, providerIdOf(e.messageId), DeliveryStatus.Delivered);
      await this.readState.readIfSeen(e.messageId);
    });
  }

  @OnEvent('case.opened')
  onCaseOpened(e: HubEvents['case.opened']): void {
    if (!this.listening()) return;
    this.run(`opened ${e.caseId}`, async () => {
      if ((await this.reads.caseBasics(e.caseId))?.channel === Channel.Webchat) await this.readState.agentRead(e.caseId);
    });
  }

  /** Not stored, not read: pushed to the case's room of /webchat, empty unless it is a web chat. */
  @OnEvent('agent.typing')
  onAgentTyping(e: HubEvents['agent.typing']): void {
    if (this.listening()) pushToWidget(this.realtime, [WebchatRooms.case(e.caseId)], 'agent:typing', { typing: e.typing, agentName: e.agentName });
  }

  @OnEvent('case.created')
  onCaseCreated(e: HubEvents['case.created']): void {
    if (this.listening()) this.pushQueueSoon(e.departmentId);
  }

  @OnEvent('case.assigned')
  onCaseAssigned(e: HubEvents['case.assigned']): void {
    if (!this.listening()) return;
    this.pushQueueSoon(e.departmentId);
    this.run(`assigned ${e.caseId}`, async () => {
      const kase = await this.reads.conversation(e.caseId);
      if (!kase) return;
      const room = [WebchatRooms.case(e.caseId)];
      pushToWidget(this.realtime, room, 'conversation', conversationView(kase));
      if (!e.assigneeId || !kase.assignee_name) return;
      pushToWidget(this.realtime, room, 'agent:joined', { name: kase.assignee_name });
      pushToWidget(this.realtime, room, 'queue', { position: null, expectedWaitSeconds: null });
    });
  }

  @OnEvent('case.updated')
  onCaseUpdated(e: HubEvents['case.updated']): void {
    if (!this.listening()) return;
    this.run(`updated ${e.caseId}`, async () => {
      const kase = await this.reads.conversation(e.caseId);
      if (!kase) return;
      pushToWidget(this.realtime, [WebchatRooms.case(e.caseId)], 'conversation', conversationView(kase));
      this.pushQueueSoon(kase.department_id);
    });
  }

  /** The chat now waits on another department: its widgets follow that department's hours and agents. */
  @OnEvent('case.transferred')
  onCaseTransferred(e: HubEvents['case.transferred']): void {
    if (!this.listening()) return;
    this.pushQueueSoon(e.fromDepartmentId);
    this.pushQueueSoon(e.toDepartmentId);
    if (e.fromDepartmentId === e.toDepartmentId) return;
    this.run(`transferred ${e.caseId}`, async () => {
      if ((await this.reads.caseBasics(e.caseId))?.channel !== Channel.Webchat) return;
      const room = WebchatRooms.case(e.caseId);
      moveDepartment(this.realtime, room, e.fromDepartmentId, e.toDepartmentId);
      pushToWidget(this.realtime, [room], 'status', await this.availability.status(e.toDepartmentId));
    });
  }

  /** Someone became available or went away: the widgets waiting on their departments hear whether chat is open. */
  @OnEvent('agent.presence-changed')
  onPresenceChanged(e: HubEvents['agent.presence-changed']): void {
    if (!this.listening()) return;
    this.run(`presence ${e.agentId}`, async () => {
      for (const departmentId of await this.reads.departmentsOf(e.agentId)) {
        pushToWidget(this.realtime, [WebchatRooms.department(departmentId)], 'status', await this.availability.status(departmentId));
        this.pushQueueSoon(departmentId);
      }
    });
  }

  /** Every waiting web chat of the department hears its new place in the queue (once per burst of changes). */
  private pushQueueSoon(departmentId: string): void {
    if (this.queueTimers.has(departmentId)) return;
    const timer = setTimeout(() => {
      this.queueTimers.delete(departmentId);
      this.run(`queue ${departmentId}`, async () => {
        const waiting = await this.reads.queuePositions(departmentId, QUEUE_PUSH_MAX);
        if (!waiting.length) return;
        const estimate = await this.availability.waitEstimate(departmentId);
        for (const { id, position } of waiting) pushToWidget(this.realtime, [WebchatRooms.case(id)], 'queue', { position, expectedWaitSeconds: estimate(position) });
      });
    }, QUEUE_PUSH_DEBOUNCE_MS);
    timer.unref();
    this.queueTimers.set(departmentId, timer);
  }

  private listening(): boolean {
    return this.realtime.anyoneListening(WEBCHAT_NAMESPACE);
  }

  private run(what: string, work: () => Promise<void>): void {
    work().catch((e: Error) => this.logger.warn(`push for ${what} failed: ${e.stack ?? e.message}`));
  }
}
