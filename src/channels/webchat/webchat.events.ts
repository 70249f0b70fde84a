import type { Socket } from 'socket.io';
import type { OpeningSchedule } from '../../departments/opening-hours';
import type { RealtimeService } from '../../realtime/realtime.service';

/** The resident's socket.io namespace (docs/webchat-protocol.md). */
export const WEBCHAT_NAMESPACE = '/webchat';

/**
 * Rooms of /webchat (rooms are per namespace: these never mix with /console's). A visitor's sockets join the room of
 * their identity (every tab and, for a verified resident, every device), of their conversation's case, and of the
 * department that answers them (one `status` push per department reaches all its waiting widgets).
 */
export const WebchatRooms = {
  identity: (address: string) => `who:${address}`,
  case: (caseId: string) => `case:${caseId}`,
  inbox: (inboxId: string) => `inbox:${inboxId}`,
  /** The department whose hours and agents the widget's `open` is about: its conversation's, else its inbox's. */
  department: (departmentId: string) => `department:${departmentId}`,
} as const;

export interface WebchatAttachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  /** Relative to the hub; the widget adds `?token=<visitor token>`. */
  url: string;
}

/** A message as the widget shows it: plain text, never HTML. Notes and staff-only system messages never get here. */
export interface WebchatMessage {
  id: string;
  clientId: string | null;
  direction: 'resident' | 'agent' | 'system';
  text: string;
  authorName: string | null;
  attachments: WebchatAttachment[];
  createdAt: string;
  readByAgent: boolean;
}

export interface VisitorView {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  prechatDone: boolean;
}

export interface ConversationView {
  caseId: string;
  reference: string;
  status: string;
}

/**
 * Whether the chat is open, as data rather than sentences, so the widget words it in the resident's language: in the
 * session answer, `hello` and `status` (docs/webchat-protocol.md, "Availability").
 */
export interface AvailabilityView extends OpeningSchedule {
  open: boolean;
  /** Why not open: outside the hours (`closed`), or in them with no agent available (`nobody`); null when open. */
  reason: 'closed' | 'nobody' | null;
  /** When the hours next begin (ISO), while `closed`; null otherwise. */
  nextOpen: string | null;
}

export interface WebchatServerEvents {
  hello: AvailabilityView & {
    visitor: VisitorView;
    conversation: ConversationView | null;
    messages: WebchatMessage[];
    agent: { name: string } | null;
    queuePosition: number | null;
    expectedWaitSeconds: number | null;
    cursor: string;
  };
  message: WebchatMessage;
  'agent:typing': { typing: boolean; agentName: string };
  'agent:joined': { name: string };
  read: { upTo: string };
  queue: { position: number | null; expectedWaitSeconds: number | null };
  /** `message`: an English sentence, kept for older clients; the widget words `reason` and the hours itself. */
  status: AvailabilityView & { message: string };
  conversation: ConversationView;
}

export type WebchatEventName = keyof WebchatServerEvents;

/** Kept on each socket at the handshake. Plain JSON: other processes read it through the Redis adapter. */
export interface WebchatSocketData {
  visitorId: string;
  inboxId: string;
  /** The visitor's `webchat` identity address: every tab and device of this resident shares its room. */
  address: string;
  ip: string;
}

export type WebchatEmits = { [E in WebchatEventName]: (payload: WebchatServerEvents[E]) => void };

export type WebchatSocket = Socket<Record<string, never>, WebchatEmits, Record<string, never>, WebchatSocketData>;

/** A typed push to rooms of /webchat, on every process. */
export function pushToWidget<E extends WebchatEventName>(realtime: RealtimeService, rooms: string[], event: E, payload: WebchatServerEvents[E]): void {
  realtime.emit(WEBCHAT_NAMESPACE, rooms, event, payload);
}

export function ok<T extends object>(result: T): { ok: true } & T {
  return { ok: true, ...result };
}
