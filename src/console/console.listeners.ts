import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { AgentPresenceService } from '../agents/agent-presence.service';
import { canSeeCase } from '../auth/access';
import { HubEvents } from '../events/hub-events';
import { RealtimeService } from '../realtime/realtime.service';
import { Rooms } from '../realtime/rooms';
import { ConsoleReadRepository } from './console-read.repository';
import { CommandsInFlight } from './commands-in-flight';
import { ConsolePresenceService } from './console-presence.service';
import { CONSOLE_NAMESPACE, ConsoleEventName, ConsoleServerEvents, ConsoleSocketData, pushToConsole } from './console.events';
import { CaseSummary, syncCursor, toCaseSummary, toMessageView } from './console.views';

/** Pushes sent per turn of the event loop (each to a room of up to a few hundred sockets). */
const PUSH_SLICE = 16;
/** Longest a push waits for the console's commands in flight to be answered. */
const PUSH_HOLD_MAX_MS = 100;

/**
 * Committed domain events → /console pushes, one method per event (Chatwoot's listeners). Each re-reads what it
 * shows from the database, so a push carries the case's current version and the cursor of the row it is about.
 *
 * Pushes about one case leave in the order their events were published (after commit, in commit order): each
 * case has a chain here, so a slow read for an earlier event cannot be overtaken by a later one. A failure is
 * logged and never undoes anything; a client that missed a push catches up with `sync`.
 */
@Injectable()
export class ConsoleListeners {
  private readonly logger = new Logger('ConsolePush');
  private readonly chains = new Map<string, Promise<void>>();
  private readonly outbox: Array<{ queuedAt: number; send: () => void }> = [];
  private flushing = false;

  constructor(
    private readonly reads: ConsoleReadRepository,
    private readonly realtime: RealtimeService,
    private readonly agents: AgentPresenceService,
    private readonly sessions: ConsolePresenceService,
    private readonly commands: CommandsInFlight,
  ) {}

  @OnEvent('case.created')
  onCaseCreated(e: HubEvents['case.created']): void {
    this.inOrder(e.caseId, async () => {
      const kase = await this.caseSummary(e.caseId);
      if (!kase) return;
      const departments = [Rooms.department(kase.case.departmentId)];
      this.push(departments, 'case:created', kase);
      const text = `New ${kase.case.channel} case ${kase.case.reference}${kase.case.preview ? `: ${kase.case.preview}` : ''}`;
      this.push(departments, 'notification', { kind: 'new-case', caseId: e.caseId, reference: kase.case.reference, text });
    });
  }

  @OnEvent('case.updated')
  onCaseUpdated(e: HubEvents['case.updated']): void {
    this.inOrder(e.caseId, async () => {
      const kase = await this.caseSummary(e.caseId);
      if (kase) this.push([Rooms.department(kase.case.departmentId), Rooms.case(e.caseId)], 'case:updated', kase);
    });
  }

  @OnEvent('case.assigned')
  onCaseAssigned(e: HubEvents['case.assigned']): void {
    this.inOrder(e.caseId, async () => {
      const kase = await this.caseSummary(e.caseId);
      if (!kase) return;
      // The department hears of a new owner once, as case:assigned (it carries the whole case); the case's viewers and
      // the previous owner as case:updated. Pushing both to a department of N agents who all claim is N² messages.
      const department = Rooms.department(kase.case.departmentId);
      const previous = e.previousAssigneeId ? [Rooms.agent(e.previousAssigneeId)] : [];
      this.push([...(e.assigneeId ? [] : [department]), Rooms.case(e.caseId), ...previous], 'case:updated', kase);
      if (!e.assigneeId) return;
      this.push([department, Rooms.agent(e.assigneeId)], 'case:assigned', kase);
      if (e.auto) {
        const text = `Case ${kase.case.reference} has been assigned to you`;
        this.push([Rooms.agent(e.assigneeId)], 'notification', { kind: 'offer', caseId: e.caseId, reference: kase.case.reference, text });
      }
    });
  }

  /** Viewers who may no longer see the case leave its room first; then both departments hear of the move. */
  @OnEvent('case.transferred')
  onCaseTransferred(e: HubEvents['case.transferred']): void {
    this.inOrder(e.caseId, async () => {
      const kase = await this.caseSummary(e.caseId);
      if (!kase) return;
      await this.dropViewersWhoCannotSee(e.caseId, { department_id: kase.case.departmentId, assignee_id: kase.case.assignee?.id ?? null });
      const previous = e.previousAssigneeId ? [Rooms.agent(e.previousAssigneeId)] : [];
      // As for claims: a department that hears case:assigned does not also get case:updated.
      const updated = e.assigneeId ? [e.fromDepartmentId].filter((d) => d !== e.toDepartmentId) : [...new Set([e.fromDepartmentId, e.toDepartmentId])];
      this.push([...updated.map(Rooms.department), Rooms.case(e.caseId), ...previous], 'case:updated', kase);
      if (e.assigneeId) this.push([Rooms.department(e.toDepartmentId), Rooms.agent(e.assigneeId)], 'case:assigned', kase);
    });
  }

  @OnEvent('message.created')
  onMessageCreated(e: HubEvents['message.created']): void {
    this.inOrder(e.caseId, async () => {
      const row = await this.reads.messageForPush(e.messageId);
      if (!row) return;
      this.push([Rooms.case(e.caseId), Rooms.department(row.department_id)], 'message:created', {
        message: toMessageView(row),
        cursor: syncCursor(row.updated_at_key, row.id),
      });
    });
  }

  @OnEvent('message.status-changed')
  onMessageStatusChanged(e: HubEvents['message.status-changed']): void {
    this.inOrder(e.caseId, async () => {
      const row = await this.reads.messageForPush(e.messageId);
      if (!row) return;
      this.push([Rooms.case(e.caseId), Rooms.department(row.department_id)], 'message:status', {
        caseId: e.caseId,
        messageId: e.messageId,
        status: e.status,
        reason: e.reason ?? null,
        cursor: syncCursor(row.updated_at_key, row.id),
      });
    });
  }

  @OnEvent('note.mentioned')
  onNoteMentioned(e: HubEvents['note.mentioned']): void {
    this.inOrder(e.caseId, async () => {
      const [kase, note, by] = await Promise.all([this.reads.summaryForPush(e.caseId), this.reads.message(e.messageId), this.agents.view(e.byAgentId)]);
      if (!kase || !note) return;
      const excerpt = note.text.length > 140 ? `${note.text.slice(0, 139)}…` : note.text;
      const text = `${by.name} mentioned you on ${kase.reference}: ${excerpt}`;
      this.push(e.agentIds.map(Rooms.agent), 'notification', { kind: 'mention', caseId: e.caseId, reference: kase.reference, text });
    });
  }

  @OnEvent('agent.presence-changed')
  onPresenceChanged(e: HubEvents['agent.presence-changed']): void {
    this.inOrder(`agent:${e.agentId}`, async () => {
      const agent = await this.agents.view(e.agentId);
      const { department_ids: departments, ...view } = agent;
      this.push([...departments.map(Rooms.department), Rooms.agent(e.agentId)], 'presence:changed', { agent: view });
    });
  }

  /**
   * An admin changed the agent's role, departments or active flag. Their sockets, on any process, are told why and
   * disconnected; the page connects again at once, and the handshake rebuilds who they are and which rooms they are
   * in from the database (one place decides rooms and rights). A deactivated agent's handshake is refused, and the
   * page goes back to sign-in. Sent at once, not through the outbox: the reason must arrive before the disconnect.
   */
  @OnEvent('agent.access-changed')
  onAccessChanged(e: HubEvents['agent.access-changed']): void {
    this.inOrder(`agent:${e.agentId}`, async () => {
      const room = Rooms.agent(e.agentId);
      const sockets = await this.realtime.socketsIn(CONSOLE_NAMESPACE, room);
      if (!sockets.length) return;
      pushToConsole(this.realtime, [room], 'session:changed', { reason: 'Your role or departments have changed' });
      for (const socket of sockets) socket.disconnect();
    });
  }

  /**
   * Pushes leave in the order asked, after the acks: at the end of this turn of the event loop at the earliest, and
   * while claims are still to be answered (CommandsInFlight) up to PUSH_HOLD_MAX_MS later, so an agent's own answer
   * never queues behind its colleagues' news. They go out PUSH_SLICE at a time, one slice per turn, so database
   * replies and acks are handled between slices rather than after the whole burst.
   */
  private push<E extends ConsoleEventName>(rooms: string[], event: E, payload: ConsoleServerEvents[E]): void {
    this.outbox.push({ queuedAt: performance.now(), send: () => pushToConsole(this.realtime, rooms, event, payload) });
    if (this.flushing) return;
    this.flushing = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    const held = performance.now() - this.outbox[0].queuedAt;
    if (this.commands.busy && held < PUSH_HOLD_MAX_MS) return this.commands.whenIdle(PUSH_HOLD_MAX_MS - held, () => this.flush());
    for (const { send } of this.outbox.splice(0, PUSH_SLICE)) send();
    if (this.outbox.length) setImmediate(() => this.flush());
    else this.flushing = false;
  }

  private async caseSummary(caseId: string): Promise<{ case: CaseSummary; cursor: string } | undefined> {
    const row = await this.reads.summaryForPush(caseId);
    return row && { case: toCaseSummary(row), cursor: syncCursor(row.updated_at_key, row.id) };
  }

  private async dropViewersWhoCannotSee(caseId: string, kase: { department_id: string; assignee_id: string | null }): Promise<void> {
    const sockets = await this.realtime.socketsIn<ConsoleSocketData>(CONSOLE_NAMESPACE, Rooms.case(caseId));
    const gone = sockets.filter((socket) => socket.data.actor && !canSeeCase(socket.data.actor, kase));
    for (const socket of gone) socket.leave(Rooms.case(caseId));
    if (gone.length) this.sessions.pushViewers(caseId);
  }

  /** Runs `work` after every earlier push for the same key, and drops the chain once it is idle. */
  private inOrder(key: string, work: () => Promise<void>): void {
    if (!this.realtime.anyoneListening(CONSOLE_NAMESPACE)) return; // no reads for pushes nobody would receive
    const next = (this.chains.get(key) ?? Promise.resolve())
      .then(work)
      .catch((e: Error) => this.logger.warn(`push for ${key} failed: ${e.stack ?? e.message}`))
      .finally(() => {
        if (this.chains.get(key) === next) this.chains.delete(key);
      });
    this.chains.set(key, next);
  }
}
