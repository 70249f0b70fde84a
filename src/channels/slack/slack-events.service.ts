import { Injectable, Logger } from '@nestjs/common';
import { Channel } from '../../common/enum';
import { HubError } from '../../common/errors';
import { InboxesService } from '../../inboxes/inboxes.service';
import { IntakeService } from '../../intake/intake.service';
import { RawRequest } from '../channel-adapter';
import { SlackAdapter } from './slack.adapter';
import { SlackMirrorService } from './slack-mirror.service';
import { SlackRepository } from './slack.repository';
import { classifySlackEnvelope } from './slack-events';

export type SlackEventsAnswer = { challenge: string } | { ok: true; outcome: 'stored' | 'duplicate' | 'replied' | 'ignored' };

/**
 * One Events API delivery: verified, deduplicated by event_id (Slack retries when it thinks a delivery was lost),
 * then a DM becomes an inbound message and a staff thread reply becomes that agent's reply. The work is a single
 * short transaction, well inside Slack's 3 seconds, and the 200 means it is stored.
 */
@Injectable()
export class SlackEventsService {
  private readonly logger = new Logger(SlackEventsService.name);

  constructor(
    private readonly adapter: SlackAdapter,
    private readonly inboxes: InboxesService,
    private readonly intake: IntakeService,
    private readonly mirror: SlackMirrorService,
    private readonly slack: SlackRepository,
  ) {}

  async receive(req: RawRequest): Promise<SlackEventsAnswer> {
    this.adapter.verify(req);
    const action = classifySlackEnvelope(req.body);
    if (action.kind === 'challenge') return { challenge: action.challenge };
    if (action.kind === 'ignore') {
      this.logger.debug(`Slack event ${action.eventId ?? ''} ignored: ${action.reason}`); // e.g. app_rate_limited, our own posts
      return { ok: true, outcome: 'ignored' };
    }
    if (await this.slack.isEventSeen(action.eventId)) return { ok: true, outcome: 'duplicate' };
    if (action.kind === 'dm') {
      const inbox = await this.inboxes.findByAddress(Channel.Slack, action.teamId);
      if (!inbox) {
        this.logger.warn(`Slack DM in workspace ${action.teamId} ignored: no slack inbox has that team id as its address`);
        return { ok: true, outcome: 'ignored' };
      }
      // Intake is idempotent on (slack, channel:ts): recording the event after it keeps a failed attempt retryable.
      const taken = await this.intake.receive({ ...action.message, inboxId: inbox.id }, inbox);
      await this.slack.claimEvent(action.eventId, action.teamId);
      return { ok: true, outcome: taken.duplicate ? 'duplicate' : 'stored' };
    }
    if (!(await this.slack.claimEvent(action.eventId, action.teamId))) return { ok: true, outcome: 'duplicate' };
    try {
      const replied = await this.mirror.onThreadReply(action);
      return { ok: true, outcome: replied ? 'replied' : 'ignored' };
    } catch (e) {
      await this.slack.releaseEvent(action.eventId);
      if (e instanceof HubError && e.code !== 'Unavailable') {
        this.logger.warn(`Slack thread reply ${action.channelId}/${action.ts} not taken: ${e.message}`);
        return { ok: true, outcome: 'ignored' };
      }
      // Slack's API or our database failed: 503, and Slack's retry of this event_id gets another go.
      this.logger.error(`Slack thread reply ${action.channelId}/${action.ts} failed: ${(e as Error).message}`);
      throw new HubError('Unavailable', 'The reply could not be taken now; Slack will retry');
    }
  }
}
