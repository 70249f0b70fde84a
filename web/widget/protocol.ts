/**
 * The web chat contract as the widget sees it (docs/webchat-protocol.md). Fields the server may leave out are
 * optional here, so the widget degrades rather than breaks.
 */

export type Lang = 'en' | 'cy';

export interface Visitor {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  prechatDone: boolean;
}

export interface Service {
  id: string;
  name: string;
}

export interface Limits {
  maxTextLength: number;
  maxAttachmentBytes: number;
  attachmentTypes: string[];
}

export type Weekday = 'mon' | 'tue' | 'wed' | 'thu' | 'fri' | 'sat' | 'sun';

/** One opening of a run of consecutive days, in the council's local time ("HH:MM"; `closes` may be "24:00"). */
export interface OpeningTimes {
  days: Weekday[];
  opens: string;
  closes: string;
}

/**
 * Whether the chat is open, as data the widget words in its own language (session, `hello`, `status`). Missing from
 * an older hub: the widget then falls back to `open` and the English `openingHours`.
 */
export interface Availability {
  open: boolean;
  reason?: 'closed' | 'nobody' | null;
  hours?: OpeningTimes[];
  closedOnBankHolidays?: boolean;
  timeZone?: string;
  nextOpen?: string | null;
}

/** POST /webchat/v1/session */
export interface Session extends Availability {
  visitorToken: string;
  expiresAt: string;
  visitor: Visitor;
  inbox: { name: string; council: string; departmentName: string };
  /** The hours in English (older hubs send only this). */
  openingHours: string;
  expectedWaitSeconds: number | null;
  services: Service[];
  limits: Limits;
}

export interface Attachment {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  url?: string;
}

export type Direction = 'resident' | 'agent' | 'system';

export interface WebchatMessage {
  id: string;
  clientId: string | null;
  direction: Direction;
  text: string;
  authorName: string | null;
  attachments: Attachment[];
  createdAt: string;
  readByAgent: boolean;
}

export interface Conversation {
  caseId: string;
  reference: string;
  status: string;
}

/** Opaque: whatever the server gave, sent back as is. */
export type Cursor = unknown;

export interface Hello extends Availability {
  visitor: Visitor;
  conversation: Conversation | null;
  messages: WebchatMessage[];
  agent: { name: string } | null;
  queuePosition: number | null;
  expectedWaitSeconds: number | null;
  cursor: Cursor;
}

export type ErrorCode = 'Validation' | 'NotFound' | 'Forbidden' | 'RateLimited' | 'Unavailable';

/** An error from the hub: the widget words it from `code` (and `field`); `message` is English, a last resort. */
export interface HubFailure {
  code: ErrorCode | string;
  message: string;
  /** The payload field a `Validation` error is about, when the hub names it. */
  field?: string;
  retryAfterSeconds?: number;
}

export type Ack<T> = ({ ok: true } & T) | { ok: false; error: HubFailure };

export interface Prechat {
  name: string;
  email?: string;
  phone?: string;
  serviceId?: string;
}

/** Client → server: [payload, ack result]. */
export interface Commands {
  prechat: [Prechat, { visitor: Visitor }];
  'message:send': [{ text: string; clientId: string; attachmentIds?: string[] }, { message: WebchatMessage }];
  typing: [{ typing: boolean }, object];
  seen: [{ messageId: string }, object];
  sync: [{ since: Cursor }, { messages: WebchatMessage[]; cursor: Cursor }];
  /** `transcript`: whether a copy will be emailed (asked for, and an email address is known). */
  end: [{ transcript?: boolean }, { transcript?: boolean }];
}

/** Server → client. */
export interface ServerEvents {
  hello: Hello;
  message: WebchatMessage;
  'agent:typing': { typing: boolean; agentName?: string | null };
  'agent:joined': { name: string };
  read: { upTo: string };
  queue: { position: number | null; expectedWaitSeconds: number | null };
  /** `message` is the hub's English sentence: not shown, the widget words `reason` itself. */
  status: Availability & { message?: string };
  conversation: Conversation;
}
