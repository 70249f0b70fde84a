import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { AgentPresenceService } from '../agents/agent-presence.service';
import { Agent, AgentsService } from '../agents/agents.service';
import { caseScope } from '../auth/access';
import type { Actor } from '../auth/actor';
import { AuthService, SESSION_COOKIE } from '../auth/auth.service';
import { AgentRole, Presence } from '../common/enum';
import { HubError } from '../common/errors';
import { Env } from '../config/env';
import { DepartmentsService } from '../departments/departments.service';
import { EventBus } from '../events/event-bus';
import { RealtimeService } from '../realtime/realtime.service';
import { Rooms } from '../realtime/rooms';
import { ConsoleReadRepository } from './console-read.repository';
import { CONSOLE_NAMESPACE, ConsoleSocket, ConsoleSocketData, pushToConsole } from './console.events';
import { AgentView, syncCursor } from './console.views';

/** A "typing" signal is passed on at most this often per socket and case; "stopped typing" always. */
export const TYPING_THROTTLE_MS = 2000;

/** What one socket has open, known only to the process that holds it. */
interface SocketState {
  openCases: Set<string>;
  typingAt: Map<string, number>;
}

/**
 * Who is connected, viewing and typing. socket.io keeps it: a socket is in `case:<id>` while it views that case,
 * so the viewers of a case are the sockets in its room, asked with fetchSockets() (on every process when the Redis
 * adapter is on: no second registry to keep in step). An agent whose last socket is gone, on any process, goes
 * offline after a grace period, so a page reload is not a sign-off.
 */
@Injectable()
export class ConsolePresenceService implements OnModuleDestroy {
  private readonly logger = new Logger('Console');
  private readonly sockets = new WeakMap<ConsoleSocket, SocketState>();
  private readonly offlineTimers = new Map<string, NodeJS.Timeout>();
  private readonly viewerPushes = new Map<string, Promise<void>>();

  constructor(
    private readonly auth: AuthService,
    private readonly agents: AgentsService,
    private readonly presence: AgentPresenceService,
    private readonly departments: DepartmentsService,
    private readonly reads: ConsoleReadRepository,
    private readonly realtime: RealtimeService,
    private readonly env: Env,
    private readonly events: EventBus,
  ) {}

  /** Handshake check (socket.io middleware): the token in `auth.token`, or the session cookie from our own pages. */
  async authenticate(socket: ConsoleSocket): Promise<void> {
    const token = this.tokenOf(socket);
    if (!token) throw HubError.unauthorized();
    const actor = await this.auth.verify(token);
    const departmentIds = actor.role === AgentRole.Admin ? (await this.departments.list()).map((d) => d.id) : actor.departmentIds;
    socket.data.actor = actor;
    socket.data.departmentIds = departmentIds;
  }

  /** Joins the agent's rooms at once (before anything can be pushed), then says hello. */
  async connected(socket: ConsoleSocket): Promise<void> {
    const { actor, departmentIds } = socket.data;
    this.sockets.set(socket, { openCases: new Set(), typingAt: new Map() });
    socket.join([Rooms.agent(actor.id), ...departmentIds.map(Rooms.department)]);
    this.cancelOffline(actor.id);
    const [agent, departments, at] = await Promise.all([this.agents.get(actor.id), this.departments.list(), this.reads.now()]);
    socket.emit('hello', {
      agent: agentView(agent),
      departments: departments.filter((d) => departmentIds.includes(d.id)).map((d) => ({ id: d.id, slug: d.slug, name: d.name })),
      serverTime: at,
      cursor: syncCursor(at),
    });
  }

  disconnected(socket: ConsoleSocket): void {
    const actor = socket.data.actor;
    if (!actor) return;
    for (const caseId of this.sockets.get(socket)?.openCases ?? []) this.pushViewers(caseId);
    this.sockets.delete(socket);
    this.scheduleOffline(actor.id);
  }

  /** The socket now views the case (the caller checked the actor may see it). */
  view(socket: ConsoleSocket, caseId: string): void {
    this.sockets.get(socket)?.openCases.add(caseId);
    socket.join(Rooms.case(caseId));
    this.pushViewers(caseId);
  }

  stopViewing(socket: ConsoleSocket, caseId: string): void {
    const state = this.sockets.get(socket);
    state?.openCases.delete(caseId);
    state?.typingAt.delete(caseId);
    if (!socket.rooms.has(Rooms.case(caseId))) return;
    socket.leave(Rooms.case(caseId));
    this.pushViewers(caseId);
  }

  openCases(socket: ConsoleSocket): string[] {
    return [...(this.sockets.get(socket)?.openCases ?? [])];
  }

  /** Passes a typing signal to the case's other viewers: throttled, never back to the sender. */
  async typing(socket: ConsoleSocket, caseId: string, typing: boolean): Promise<void> {
    const actor = socket.data.actor;
    if (!socket.rooms.has(Rooms.case(caseId)) && !(await this.reads.visibleCaseIds(caseScope(actor), [caseId])).length) {
      throw HubError.notFound('Case', caseId);
    }
    const state = this.sockets.get(socket);
    const now = Date.now();
    if (typing) {
      const last = state?.typingAt.get(caseId);
      if (last !== undefined && now - last < TYPING_THROTTLE_MS) return;
      state?.typingAt.set(caseId, now);
    } else {
      state?.typingAt.delete(caseId);
    }
    this.realtime.emitFrom(socket, [Rooms.case(caseId)], 'case:typing', { caseId, agent: { id: actor.id, name: actor.name }, typing });
    // The resident's side hears it too where the channel can show it (web chat).
    this.events.publish('agent.typing', { caseId, agentId: actor.id, agentName: actor.name, typing });
  }

  async setPresence(actor: Actor, presence: Presence): Promise<{ agent: AgentView }> {
    return { agent: agentView(await this.presence.setPresence(actor.id, presence)) };
  }

  async setCapacity(actor: Actor, capacity: number): Promise<{ agent: AgentView }> {
    return { agent: agentView(await this.presence.setCapacity(actor.id, capacity)) };
  }

  onModuleDestroy(): void {
    for (const timer of this.offlineTimers.values()) clearTimeout(timer);
    this.offlineTimers.clear();
  }

  /** Tells a case's room who views it now. One push at a time per case here, so the last one sent is the latest. */
  pushViewers(caseId: string): void {
    const previous = this.viewerPushes.get(caseId) ?? Promise.resolve();
    const next = previous
      .then(async () => {
        const sockets = await this.realtime.socketsIn<ConsoleSocketData>(CONSOLE_NAMESPACE, Rooms.case(caseId));
        const viewers = new Map(sockets.filter((s) => s.data.actor).map((s) => [s.data.actor.id, { id: s.data.actor.id, name: s.data.actor.name }]));
        pushToConsole(this.realtime, [Rooms.case(caseId)], 'case:viewers', { caseId, viewers: [...viewers.values()] });
      })
      .catch((e: Error) => this.logger.warn(`viewers of case ${caseId}: ${e.message}`))
      .finally(() => {
        if (this.viewerPushes.get(caseId) === next) this.viewerPushes.delete(caseId);
      });
    this.viewerPushes.set(caseId, next);
  }

  private scheduleOffline(agentId: string): void {
    this.cancelOffline(agentId);
    const timer = setTimeout(() => {
      this.offlineTimers.delete(agentId);
      void this.goOfflineIfGone(agentId).catch((e: Error) => this.logger.warn(`presence of agent ${agentId}: ${e.message}`));
    }, this.env.CONSOLE_OFFLINE_GRACE_MS);
    timer.unref();
    this.offlineTimers.set(agentId, timer);
  }

  private cancelOffline(agentId: string): void {
    clearTimeout(this.offlineTimers.get(agentId));
    this.offlineTimers.delete(agentId);
  }

  private async goOfflineIfGone(agentId: string): Promise<void> {
    const sockets = await this.realtime.socketsIn(CONSOLE_NAMESPACE, Rooms.agent(agentId));
    if (sockets.length === 0) await this.presence.setPresence(agentId, Presence.Offline);
  }

  private tokenOf(socket: ConsoleSocket): string | undefined {
    const fromAuth = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
    if (typeof fromAuth === 'string' && fromAuth) return fromAuth;
    const cookie = cookieValue(socket.handshake.headers.cookie, SESSION_COOKIE);
    if (!cookie) return undefined;
    // A browser sends the cookie by itself: a page of another site must not open a socket as the agent.
    const origin = socket.handshake.headers.origin;
    if (origin && !this.isOwnOrigin(origin, socket.handshake.headers.host)) throw HubError.unauthorized('Cross-site connection refused');
    return cookie;
  }

  private isOwnOrigin(origin: string, host: string | undefined): boolean {
    try {
      const o = new URL(origin);
      return o.host === host || (!!this.env.PUBLIC_BASE_URL && o.origin === new URL(this.env.PUBLIC_BASE_URL).origin);
    } catch {
      return false;
    }
  }
}

export function agentView(a: Agent): AgentView {
  return { id: a.id, name: a.name, email: a.email, role: a.role, presence: a.presence, capacity: a.capacity, departmentIds: a.departmentIds };
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) {
      try {
        return decodeURIComponent(value.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}
