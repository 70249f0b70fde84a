import { Channel, DeliveryStatus } from '../common/enum';

/**
 * The one contract between the core and a channel. An adapter lives in src/channels/<channel>/, knows nothing
 * of our database or services, and depends only on these types. The core never imports an adapter.
 */

/** An inbound HTTP request as the provider sent it: signatures are checked on rawBody, never on parsed JSON. */
export interface RawRequest {
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  body: unknown;
  /** Path and query as received, e.g. /channels/sms/twilio?x=1 */
  url: string;
  /** The public URL the provider called (PUBLIC_BASE_URL + url), for signature schemes that sign the URL. */
  publicUrl: string;
}

/** What an adapter needs to know about the inbox a request or reply belongs to. */
export interface InboxConfig {
  id: string;
  channel: Channel;
  name: string;
  address: string | null;
  departmentId: string;
  secret: string;
  settings: Record<string, unknown>;
}

export interface AttachmentMeta {
  filename: string;
  contentType: string;
  size: number;
  /** Where staff open it: the hub's own /api/v1/attachments/<id> once stored, the provider's URL until then. */
  url?: string;
  /** The stored copy (AttachmentService), once the bytes are in the hub. */
  id?: string;
  /** The provider's URL the bytes were fetched from, kept after storing (audit, and the Twilio media proxy). */
  sourceUrl?: string;
  /** Why the bytes could not be stored (type refused, too large, gone at the provider): shown instead of the file. */
  error?: string;
}

/** The normalised inbound record every adapter emits (channels.md §0). */
export interface InboundMessage {
  channel: Channel;
  inboxId: string;
  /** Provider id; unique with the channel, so provider retries are harmless. */
  externalMessageId: string;
  sender: { address: string; name?: string };
  recipient?: string;
  text: string;
  /** Untrimmed body for audit, where the shown text was trimmed (quoted replies, signatures). */
  textFull?: string;
  subject?: string;
  attachments: AttachmentMeta[];
  /** Provider timestamp, not receipt time. */
  sentAt?: Date;
  /** Extra grouping key where the channel has one (an email thread); the resident + inbox otherwise. */
  threadKey?: string;
  /**
   * The case the channel itself threads this message onto (an email's reply address or In-Reply-To): joined if it
   * is on this inbox and still takes messages; otherwise the usual threading applies.
   */
  caseId?: string;
  /**
   * The channel proved `caseId` (a reply address signed with our secret), so the message joins that case whichever
   * inbox it is on: a web chat resident's emailed answer to our email follow-up returns to the chat's case.
   */
  caseProven?: boolean;
  /** Start a new case rather than join the resident's open one (an email that is not a reply to anything of ours). */
  newThread?: boolean;
  /** The service the resident said it is about (a web chat's pre-chat form): a new case is filed under it. */
  serviceId?: string;
}

/** A file an agent attached to a reply, with its bytes loaded by the delivery service (adapters never read the store). */
export interface OutboundAttachment extends AttachmentMeta {
  content?: Buffer;
}

export interface OutboundMessage {
  messageId: string;
  caseId: string;
  caseReference: string;
  to: { address: string; name?: string | null };
  text: string;
  attachments: OutboundAttachment[];
  sentAt: Date;
}

export interface DeliveryStatusUpdate {
  providerMessageId: string;
  status: DeliveryStatus;
  reason?: string;
  at?: Date;
}

export interface ChannelAdapter {
  readonly channel: Channel;
  /**
   * Whether send() carries OutboundMessage.attachments to the resident. Not set: a reply with attachments is refused
   * before it is stored (the SMS, WhatsApp and Meta APIs fetch media from a public URL, which the hub does not offer).
   */
  readonly sendsAttachments?: boolean;
  /** Throws HubError('SignatureInvalid') on a forged or unsigned request. */
  verify(req: RawRequest, inbox: InboxConfig): void;
  /** Throws HubError('Validation') naming the bad field. */
  parseInbound(req: RawRequest, inbox: InboxConfig): InboundMessage[];
  parseStatus?(req: RawRequest, inbox: InboxConfig): DeliveryStatusUpdate[];
  /** Returns the provider's own id for the message, or throws Transient/PermanentDeliveryError. */
  send(msg: OutboundMessage, inbox: InboxConfig): Promise<{ providerMessageId: string }>;
  /**
   * Why a reply to this recipient cannot be sent at all right now (an SMS opt-out), asked before an agent's reply is
   * stored so the agent is told at once; undefined when nothing stands in the way. send() still checks at delivery.
   */
  replyRefusal?(to: { address: string }, inbox: InboxConfig): Promise<string | undefined>;
  /**
   * What an agent may send on a case now (WhatsApp: free text only within 24 hours of the resident's last message,
   * approved templates always). Not implemented: free text, no templates. Never throws for a poorly configured inbox:
   * it answers what it can (send() still refuses at delivery).
   */
  composeOptions?(ctx: ComposeContext, inbox: InboxConfig): Promise<ComposeOptions>;
}

/** Who a reply would go to and what the hub knows of them, for composeOptions. */
export interface ComposeContext {
  to: {
    address: string;
    /** When the resident last wrote from this identity (the hub's record); null: never. */
    lastInboundAt: Date | null;
  };
  caseReference: string;
  now: Date;
}

/** An approved template as an agent sees it, rendered for one case. */
export interface ComposeTemplate {
  /** What `case:reply { templateId }` names. */
  id: string;
  name: string;
  /** The message as the resident will read it (placeholders filled with the case reference). */
  text: string;
  /** The values the provider is sent with the template, filled the same way (Twilio ContentVariables, Meta parameters). */
  variables: Record<string, string>;
  language?: string;
}

export interface ComposeOptions {
  /** Whether a typed reply may go now. */
  freeText: boolean;
  /** Why not (or what happens to free text), in words an agent understands. */
  reason?: string;
  /** The resident's last message on this identity, as the window counts it. */
  lastInboundAt?: Date | null;
  /** When free text stops being accepted (the window's end); absent where there is no window. */
  windowClosesAt?: Date | null;
  templates: ComposeTemplate[];
}

/** Network trouble, 429, 5xx: trying again later may work. */
export class TransientDeliveryError extends Error {
  override name = 'TransientDeliveryError';
  constructor(
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** A refused address, an opt-out, a bad request: trying again cannot help. */
export class PermanentDeliveryError extends Error {
  override name = 'PermanentDeliveryError';
}
