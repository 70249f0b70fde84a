import type { Socket } from 'socket.io';
import type { Actor } from '../auth/actor';
import { DeliveryStatus } from '../common/enum';
import type { RealtimeService } from '../realtime/realtime.service';
import type { AgentView, CaseSummary, MessageView, PresenceView } from './console.views';
import type { SlaAlertView, SlaView } from '../sla/sla.views';

export const CONSOLE_NAMESPACE = '/console';

/** Server → client events of /console (docs/console-protocol.md), with their payloads. */
export interface ConsoleServerEvents {
  hello: { agent: AgentView; departments: Array<{ id: string; slug: string; name: string }>; serverTime: string; cursor: string };
  'case:created': { case: CaseSummary; cursor: string };
  'case:updated': { case: CaseSummary; cursor: string };
  'case:assigned': { case: CaseSummary; cursor: string };
  'message:created': { message: MessageView; cursor: string };
  'message:status': { caseId: string; messageId: string; status: DeliveryStatus; reason: string | null; cursor: string };
  'presence:changed': { agent: PresenceView };
  'case:viewers': { caseId: string; viewers: Array<{ id: string; name: string }> };
  'case:typing': { caseId: string; agent: { id: string; name: string }; typing: boolean };
  notification: { kind: 'new-case' | 'mention' | 'offer'; caseId: string; reference: string; text: string };
  /** The agent's access changed (role, departments, deactivated): the server disconnects the socket right after. */
  'session:changed': { reason: string };
  /** An SLA warning or breach, to the `supervisors:<departmentId>` room (docs/sla.md). */
  'sla:alert': SlaAlertView;
  /** A case's SLA clocks moved without a new case version (computed after creation, paused, resumed). */
  'sla:updated': { caseId: string; version: number; sla: SlaView };
}

export type ConsoleEventName = keyof ConsoleServerEvents;

/**
 * What the console keeps on each socket, set when it connects: who it is and the department rooms it joined. Plain
 * JSON, because other processes read it through the Redis adapter (fetchSockets: who views a case).
 */
export interface ConsoleSocketData {
  actor: Actor;
  departmentIds: string[];
}

/** socket.io's shape of an event map: event → listener. */
export type ConsoleEmits = { [E in ConsoleEventName]: (payload: ConsoleServerEvents[E]) => void };

export type ConsoleSocket = Socket<Record<string, never>, ConsoleEmits, Record<string, never>, ConsoleSocketData>;

/** The ack of every command: `{ ok: true, ...result }` or `{ ok: false, error }`. */
export type Ack<T extends object = object> = ({ ok: true } & T) | { ok: false; error: { code: string; message: string; details?: Record<string, unknown>; correlationId?: string } };

export function ok<T extends object>(result: T): { ok: true } & T {
  return { ok: true, ...result };
}

/** A typed push to rooms of /console, on every process. */
export function pushToConsole<E extends ConsoleEventName>(realtime: RealtimeService, rooms: string[], event: E, payload: ConsoleServerEvents[E]): void {
  realtime.emit(CONSOLE_NAMESPACE, rooms, event, payload);
}
