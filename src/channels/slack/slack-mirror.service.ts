import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { AgentsService } from '../../agents/agents.service';
import { CaseReplyService } from '../../cases/case-reply.service';
import { CaseStatus } from '../../common/enum';
import { HubError } from '../../common/errors';
import { Env } from '../../config/env';
import { HubEvents } from '../../events/hub-events';
import { SlackClient } from './slack-client';
import { SlackAction } from './slack-events';
import { SlackAdapter } from './slack.adapter';
import { SlackRepository } from './slack.repository';

type ThreadReply = Extract<SlackAction, { kind: 'thread-reply' }>;

/** A reply refused for a reason the agent can act on (an opt-out, a closed case, someone else's case). */
const REFUSALS = new Set(['Conflict', 'InvalidTransition', 'Forbidden', 'Validation']);

/** Staff may write this in a Slack thread to leave an internal note instead of a reply (Chatwoot's habit). */
const NOTE_PREFIX = /^(note|private):\s*/i;

/**
 * The staff mirror (Chatwoot pattern, channels.md §2): each new case of a department with a Slack channel is posted
 * there as a parent message; later messages and status changes go into its thread; a person's reply in the thread
 * becomes the reply of the agent with the same email. Loop guard: messages that came from Slack are never posted
 * back, and Slack's echo of our posts (bot_id) is dropped by classifySlackEnvelope.
 *
 * Work on one case runs in order in one lane of this process (events are published in-process after commit), so
 * the parent exists before its replies and a reply taken from Slack is marked before its own event is handled.
 */
@Injectable()
export class SlackMirrorService {
  private readonly logger = new Logger(SlackMirrorService.name);
  private readonly channels: Map<string, string>;
  private readonly lanes = new Map<string, Promise<unknown>>();
  /** Messages already in Slack: the first message (in the parent) and replies taken from Slack threads. */
  private readonly inSlack = new Set<string>();
  private readonly lastStatus = new Map<string, CaseStatus>();

  constructor(
    private readonly env: Env,
    private readonly client: SlackClient,
    private readonly adapter: SlackAdapter,
    private readonly slack: SlackRepository,
    private readonly agents: AgentsService,
    private readonly replies: CaseReplyService,
  ) {
    this.channels = new Map(
      env.SLACK_MIRROR_CHANNELS.split(',')
        .filter(Boolean)
        .map((pair) => pair.split('=') as [string, string]),
    );
  }

  @OnEvent('case.created', { async: true, suppressErrors: true })
  async onCaseCreated(event: HubEvents['case.created']): Promise<void> {
    if (!this.channels.size) return;
    await this.inLane(event.caseId, () => this.postCase(event.caseId)).catch((e) => this.logger.warn(`mirror of case ${event.reference} failed: ${(e as Error).message}`));
  }

  @OnEvent('message.created', { async: true, suppressErrors: true })
  async onMessageCreated(event: HubEvents['message.created']): Promise<void> {
    if (!this.channels.size) return;
    await this.inLane(event.caseId, () => this.postMessage(event.messageId)).catch((e) => this.logger.warn(`mirror of message ${event.messageId} failed: ${(e as Error).message}`));
  }

  @OnEvent('case.updated', { async: true, suppressErrors: true })
  async onCaseUpdated(event: HubEvents['case.updated']): Promise<void> {
    if (!this.channels.size) return;
    await this.inLane(event.caseId, () => this.postStatus(event.caseId, event.status, event.reopened)).catch((e) => this.logger.warn(`mirror of status failed: ${(e as Error).message}`));
  }

  /**
   * Posts a notice to a department's mirror channel (SLA alerts): false when the department has none. Errors are
   * TransientDeliveryError or PermanentDeliveryError, for the caller's job to retry or give up.
   */
  async postToDepartment(departmentSlug: string, text: string): Promise<boolean> {
    const channel = this.channels.get(departmentSlug);
    if (!channel) return false;
    await this.client.postMessage(this.adapter.tokenFor(), { channel, text });
    return true;
  }

  /** Whether a department has a mirror channel (SLACK_MIRROR_CHANNELS). */
  hasChannel(departmentSlug: string): boolean {
    return this.channels.has(departmentSlug);
  }

  /** A person's reply in a mirrored thread: false when the thread is not a case's. */
  async onThreadReply(reply: ThreadReply): Promise<boolean> {
    const caseId = await this.slack.findCaseByThread(reply.channelId, reply.threadTs);
    if (!caseId) return false;
    const email = await this.client.userEmail(this.adapter.tokenFor(), reply.userId);
    const agent = email ? await this.agents.findByEmail(email) : undefined;
    const actor = agent && (await this.agents.findActiveActor(agent.id));
    if (!actor) throw HubError.forbidden(`Slack user ${reply.userId} (${email ?? 'no email'}) is not an active agent`);
    const note = NOTE_PREFIX.test(reply.text);
    const text = reply.text.replace(NOTE_PREFIX, '');
    await this.inLane(caseId, async () => {
      try {
        const message = note ? await this.replies.addNote(actor, caseId, text) : await this.replies.send(actor, caseId, { text });
        this.inSlack.add(message.id);
      } catch (e) {
        if (e instanceof HubError && REFUSALS.has(e.code)) await this.tellThread(reply, `:warning: Not sent to the resident: ${e.message}`);
        throw e;
      }
    });
    return true;
  }

  /** The agent wrote in Slack, so the refusal goes there (the console would show it as an error); our post carries bot_id, so it never comes back in. */
  private async tellThread(reply: ThreadReply, text: string): Promise<void> {
    await this.client.postMessage(this.adapter.tokenFor(), { channel: reply.channelId, thread_ts: reply.threadTs, text }).catch((e: Error) => this.logger.warn(`refusal notice not posted: ${e.message}`));
  }

  private async postCase(caseId: string): Promise<void> {
    const c = await this.slack.caseForMirror(caseId);
    const channel = c && this.channels.get(c.department_slug);
    if (!c || !channel) return;
    const link = `${(this.env.PUBLIC_BASE_URL ?? `http://localhost:${this.env.PORT}`).replace(/\/$/, '')}/console?case=${c.id}`;
    const text = [
      `*${c.reference}* · new ${c.channel} case from ${c.resident_name ?? 'a resident'}`,
      c.first_text ? quote(c.first_text) : undefined,
      `<${link}|Open in the console>`,
    ]
      .filter(Boolean)
      .join('\n');
    const posted = await this.client.postMessage(this.adapter.tokenFor(), { channel, text });
    if (c.first_message_id) this.inSlack.add(c.first_message_id);
    await this.slack.insertThread(c.id, posted.channel, posted.ts);
  }

  private async postMessage(messageId: string): Promise<void> {
    if (this.inSlack.delete(messageId)) return; // loop guard: it is in Slack already
    const m = await this.slack.messageForMirror(messageId);
    const thread = m && (await this.slack.findThreadByCase(m.case_id));
    if (!m || !thread || m.direction === 'system') return;
    const who = m.direction === 'inbound' ? 'Resident' : m.direction === 'note' ? `${m.agent_name ?? 'Agent'} (note)` : `${m.agent_name ?? 'Agent'} (reply)`;
    await this.client.postMessage(this.adapter.tokenFor(), { channel: thread.channel_id, thread_ts: thread.thread_ts, text: `*${who}:* ${m.text}` });
  }

  private async postStatus(caseId: string, status: CaseStatus, reopened?: boolean): Promise<void> {
    if (this.lastStatus.get(caseId) === status && !reopened) return;
    if (status === CaseStatus.Closed) this.lastStatus.delete(caseId); // a closed case changes no more
    else this.lastStatus.set(caseId, status);
    const thread = await this.slack.findThreadByCase(caseId);
    if (!thread || status === CaseStatus.New) return;
    await this.client.postMessage(this.adapter.tokenFor(), { channel: thread.channel_id, thread_ts: thread.thread_ts, text: `_Status: ${status}${reopened ? ' (reopened)' : ''}_` });
  }

  private inLane<T>(caseId: string, work: () => Promise<T>): Promise<T> {
    const run = (this.lanes.get(caseId) ?? Promise.resolve()).catch(() => undefined).then(work);
    this.lanes.set(caseId, run);
    void run.catch(() => undefined).then(() => this.lanes.get(caseId) === run && this.lanes.delete(caseId));
    return run;
  }
}

function quote(text: string): string {
  const short = text.length > 500 ? `${text.slice(0, 500)}…` : text;
  return short
    .split('\n')
    .map((line) => `> ${line}`)
    .join('\n');
}
