import { Injectable } from '@nestjs/common';
import { Channel } from '../../common/enum';
import { HubError } from '../../common/errors';
import { Env } from '../../config/env';
import { JobQueue } from '../../jobs/job-queue';
import { JobName } from '../../jobs/job.types';
import { RealtimeService } from '../../realtime/realtime.service';
import { ChannelAdapter, InboundMessage, OutboundMessage } from '../channel-adapter';
import { ChannelAdapterProvider } from '../channel-registry';
import { WebchatReadRepository } from './webchat-read.repository';
import { providerIdOf } from './webchat-read-state.service';
import { pushToWidget, WEBCHAT_NAMESPACE, WebchatRooms } from './webchat.events';
import { toWidgetMessage } from './webchat.views';

/**
 * The web chat's "provider" is the hub's own socket server: sending a reply is pushing it to the sockets following
 * the case (every process, through the Redis adapter), and it waits in the history for a widget opened later. It is
 * `sent` once pushed, `delivered` if a widget was open, `read` when the resident's widget says it was seen; a reply
 * still unseen after WEBCHAT_UNSEEN_EMAIL_AFTER_MS is emailed when the resident gave an address.
 * Inbound messages come through the /webchat socket (WebchatService), not through parseInbound.
 */
@Injectable()
@ChannelAdapterProvider()
export class WebchatChannelAdapter implements ChannelAdapter {
  readonly channel = Channel.Webchat;
  /** The widget fetches a reply's files from /webchat/v1/attachments/<id> with the visitor's token (WebchatUploads.open). */
  readonly sendsAttachments = true;
  /**
   * Replies pushed by this process, waiting for their `sent` to be committed (true: a widget was open). Until then a
   * reply has no provider id, so its `delivered` and a `read` the widget reported meanwhile are applied after `sent`.
   */
  private readonly pushed = new Map<string, boolean>();

  constructor(
    private readonly reads: WebchatReadRepository,
    private readonly realtime: RealtimeService,
    private readonly jobs: JobQueue,
    private readonly env: Env,
  ) {}

  verify(): void {}

  parseInbound(): InboundMessage[] {
    throw new HubError('Unavailable', 'Web chat messages arrive on the /webchat socket, not through parseInbound');
  }

  async send(msg: OutboundMessage): Promise<{ providerMessageId: string }> {
    const row = await this.reads.messageForPush(msg.messageId);
    if (!row) throw new HubError('NotFound', `Message ${msg.messageId} of a web chat case not found`);
    // The case's room, and the resident's own: every tab and device, even one that has not joined the case yet.
    const rooms = [...new Set([WebchatRooms.case(msg.caseId), WebchatRooms.identity(msg.to.address), ...(row.visitor_address ? [WebchatRooms.identity(row.visitor_address)] : [])])];
    const open = (await this.realtime.socketsIn(WEBCHAT_NAMESPACE, rooms)).length > 0;
    pushToWidget(this.realtime, rooms, 'message', toWidgetMessage(row, row.agent_read_at));
    this.pushed.set(msg.messageId, open);
    if (row.visitor_email) {
      await this.jobs.enqueue(JobName.WebchatUnseenReply, { messageId: msg.messageId }, { delayMs: this.env.WEBCHAT_UNSEEN_EMAIL_AFTER_MS, jobId: `webchat-unseen:${msg.messageId}` });
    }
    return { providerMessageId: providerIdOf(msg.messageId) };
  }

  /**
   * Asked once, after the reply's `sent` is committed: undefined when this process did not push it (another channel's
   * message), else whether a widget was open as it was pushed.
   */
  takePushed(messageId: string): { deliveredToWidget: boolean } | undefined {
    const open = this.pushed.get(messageId);
    if (open === undefined) return undefined;
    this.pushed.delete(messageId);
    return { deliveredToWidget: open };
  }
}
