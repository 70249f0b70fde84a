import { Injectable, Logger } from '@nestjs/common';
import { Channel, DeliveryStatus } from '../../common/enum';
import { CONSOLE_NAMESPACE, ConsoleServerEvents } from '../../console/console.events';
import { DeliveryService } from '../../delivery/delivery.service';
import { RealtimeService } from '../../realtime/realtime.service';
import { Rooms } from '../../realtime/rooms';
import { ConversationCaseRow, WebchatReadRepository } from './webchat-read.repository';
import { pushToWidget, WebchatRooms, WebchatSocket } from './webchat.events';
import { WebchatVisitorRepository } from './webchat-visitor.repository';

/** A resident's "typing" is passed on at most this often per socket; "stopped" always. */
export const RESIDENT_TYPING_THROTTLE_MS = 2000;
/** Replies marked read per `seen` (the newest ones; older ones were marked by earlier `seen`s). */
const READ_BATCH = 50;

/**
 * Read state and typing, both ways. The agent opening the case (or answering, or having it open when a message
 * arrives) has read the resident's messages: `read` in the widget. The resident's `seen` marks the agents' replies
 * `read` in the console (their delivery status) and stops the unseen-reply email.
 */
@Injectable()
export class WebchatReadState {
  private readonly logger = new Logger('Webchat');
  private readonly typingAt = new WeakMap<WebchatSocket, number>();

  constructor(
    private readonly reads: WebchatReadRepository,
    private readonly visitors: WebchatVisitorRepository,
    private readonly delivery: DeliveryService,
    private readonly realtime: RealtimeService,
  ) {}

  /** To the agents viewing the case, in the console's own typing event, the resident as who. */
  residentTyping(socket: WebchatSocket, kase: ConversationCaseRow, typing: boolean): void {
    const now = Date.now();
    if (typing) {
      const last = this.typingAt.get(socket);
      if (last !== undefined && now - last < RESIDENT_TYPING_THROTTLE_MS) return;
      this.typingAt.set(socket, now);
    } else {
      this.typingAt.delete(socket);
    }
    const payload: ConsoleServerEvents['case:typing'] & { who: 'resident' } = {
      caseId: kase.id,
      agent: { id: kase.resident_id, name: kase.resident_name ?? 'The resident' },
      typing,
      who: 'resident',
    };
    this.realtime.emit(CONSOLE_NAMESPACE, [Rooms.case(kase.id)], 'case:typing', payload);
  }

  /** The agent has read everything the resident wrote so far. */
  async agentRead(caseId: string): Promise<void> {
    if (!(await this.visitors.markAgentRead(caseId))) return;
    const upTo = await this.reads.lastInboundId(caseId);
    if (upTo) pushToWidget(this.realtime, [WebchatRooms.case(caseId)], 'read', { upTo });
  }

  /** Whether an agent has the case open in the console now (on any process). */
  async agentViewing(caseId: string): Promise<boolean> {
    return (await this.realtime.socketsIn(CONSOLE_NAMESPACE, Rooms.case(caseId))).length > 0;
  }

  /**
   * The resident has seen the conversation up to this message: the replies up to it that are `sent` are read. A reply
   * whose `sent` is not committed yet is left to readIfSeen, which runs after it: the seen mark is committed first, so
   * whichever of the two runs second finds the other's work (order-independent).
   */
  async residentSaw(caseId: string, upTo: string): Promise<void> {
    await this.visitors.markResidentSeen(caseId, upTo);
    for (const messageId of await this.reads.unreadRepliesUpTo(caseId, upTo, READ_BATCH)) await this.markRead(messageId);
  }

  /** After a reply's `sent` is committed: read at once if the resident's seen mark already covers it. */
  async readIfSeen(messageId: string): Promise<void> {
    if (await this.visitors.residentHasSeen(messageId)) await this.markRead(messageId);
  }

  private async markRead(messageId: string): Promise<void> {
    await this.delivery.applyProviderStatus(Channel.Webchat, providerIdOf(messageId), DeliveryStatus.Read).catch((e: Error) => this.logger.warn(`read status of ${messageId}: ${e.message}`));
  }
}

/** The "provider id" of a reply delivered to the widget: ours, as the widget is our own. */
export function providerIdOf(messageId: string): string {
  return `webchat:${messageId}`;
}
