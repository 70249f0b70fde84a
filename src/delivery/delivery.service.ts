import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { OnEvent } from '@nestjs/event-emitter';
import { AttachmentMeta, OutboundAttachment, OutboundMessage, PermanentDeliveryError, TransientDeliveryError } from '../channels/channel-adapter';
import { AttachmentService } from '../attachments/attachment.service';
import { ChannelRegistry } from '../channels/channel-registry';
import type { Actor } from '../auth/actor';
import { CaseClaimService } from '../cases/case-claim.service';
import { CasesService } from '../cases/cases.service';
import { Channel, DeliveryStatus, MessageDirection } from '../common/enum';
import { HubError } from '../common/errors';
import { Env } from '../config/env';
import { Db } from '../database/db';
import { HubEvents } from '../events/hub-events';
import { InboxesService } from '../inboxes/inboxes.service';
import { JobQueue } from '../jobs/job-queue';
import { runsJobWorker } from '../jobs/jobs.module';
import { JobContext, JobName, JobOf } from '../jobs/job.types';
import { OnJob } from '../jobs/on-job.decorator';
import { MessageRow } from '../messages/message.repository';
import { MessagesService } from '../messages/messages.service';
import { MetricsService } from '../metrics/metrics.service';
import { ResidentsService } from '../residents/residents.service';
import { AuditService } from '../audit/audit.service';
import { DeliveryRepository } from './delivery.repository';
import { predecessorsOf } from './delivery-status';

const SWEEP_BATCH = 500;

/**
 * The delivery pipeline. An outbound message is stored `queued`; a job sends it through its channel's adapter,
 * with retries and exponential back-off; after the last attempt it is `failed` with the reason, listed for
 * supervisors and re-sendable. The database is the record: a sweep re-enqueues messages whose job was lost.
 */
@Injectable()
export class DeliveryService implements OnApplicationBootstrap {
  private readonly logger = new Logger(DeliveryService.name);

  constructor(
    private readonly db: Db,
    private readonly deliveries: DeliveryRepository,
    private readonly messages: MessagesService,
    private readonly cases: CasesService,
    private readonly claims: CaseClaimService,
    private readonly inboxes: InboxesService,
    private readonly residents: ResidentsService,
    private readonly channels: ChannelRegistry,
    private readonly jobs: JobQueue,
    private readonly metrics: MetricsService,
    private readonly audit: AuditService,
    private readonly env: Env,
    private readonly files: AttachmentService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (runsJobWorker(this.env)) await this.jobs.schedule(JobName.SweepQueuedMessages, this.env.SWEEP_INTERVAL_MS);
  }

  /** Every committed outbound message gets a delivery job; if this enqueue is lost, the sweep finds the row. */
  @OnEvent('message.created', { async: true, suppressErrors: true })
  async onMessageCreated(event: HubEvents['message.created']): Promise<void> {
    if (event.direction !== MessageDirection.Outbound) return;
    await this.enqueue(event.messageId).catch((e: Error) => this.logger.warn(`enqueue ${event.messageId} failed, the sweep will retry: ${e.message}`));
  }

  @OnJob(JobName.DeliverMessage)
  async handleDeliver({ messageId }: JobOf<JobName.DeliverMessage>, ctx: JobContext): Promise<void> {
    const message = await this.deliveries.lease(messageId, this.env.DELIVERY_TIMEOUT_MS * 3);
    if (!message) return; // already sent, failed for good, or another worker holds it
    try {
      const { providerMessageId } = await this.send(message);
      await this.advance(message, DeliveryStatus.Sent, { providerMessageId });
      this.metrics.delivery.inc({ channel: message.channel, outcome: 'sent' });
    } catch (e) {
      await this.onSendError(message, e, ctx);
    }
  }

  @OnJob(JobName.SweepQueuedMessages)
  async handleSweep(): Promise<void> {
    const stuck = await this.deliveries.findStuck(this.env.SWEEP_STUCK_AFTER_MS, SWEEP_BATCH);
    for (const id of stuck) await this.enqueue(id);
    if (stuck.length) this.logger.log(`sweep re-enqueued ${stuck.length} queued message(s)`);
  }

  /**
   * Applies a provider's status callback; a status that would move backwards is ignored. `inboxId` limits it to
   * messages on that inbox's cases, so one inbox's credentials cannot touch another inbox's messages.
   */
  async applyProviderStatus(channel: Channel, providerMessageId: string, status: DeliveryStatus, reason?: string, inboxId?: string): Promise<MessageRow | undefined> {
    return this.db.transaction(async (tx) => {
      const row = await this.deliveries.advanceByProviderId(tx.manager, channel, providerMessageId, status, predecessorsOf(status), reason, inboxId);
      if (row) tx.emit('message.status-changed', { caseId: row.case_id, messageId: row.id, status, reason: row.delivery_reason });
      return row;
    });
  }

  /**
   * The re-send of a failed message (the console's `message:retry`, REST `POST /api/v1/messages/:id/retry`): a fresh
   * round of attempts, for real. A reply going out again: refused on a closed case, and only the case's owner among
   * agents sends it (CaseClaimService.lockForResend). A refused re-send changes nothing.
   */
  async resend(messageId: string, actor: Actor): Promise<MessageRow> {
    const row = await this.db.transaction(async (tx) => {
      const message = await this.messages.get(messageId, tx.manager);
      await this.claims.lockForResend(tx, actor, message.case_id).catch((e: unknown) => {
        // A case outside the actor's departments: its message does not exist for them (and its case is not named).
        throw e instanceof HubError && e.code === 'NotFound' ? HubError.notFound('Message', messageId) : e;
      });
      const requeued = await this.deliveries.requeue(tx.manager, messageId);
      if (!requeued) {
        const current = await this.messages.get(messageId, tx.manager);
        throw HubError.conflict(`Only a failed message can be re-sent; this one is ${current.delivery_status ?? current.direction}`);
      }
      await this.audit.record(tx.manager, { actorType: 'agent', actorId: actor.id, action: 'message.resend', subjectType: 'message', subjectId: messageId });
      tx.emit('message.status-changed', { caseId: requeued.case_id, messageId, status: DeliveryStatus.Queued, reason: null });
      return requeued;
    });
    // A job id of this round's own: the last round's job may still be finishing in the queue (its handler wrote
    // `failed` before the queue removed it), and a repeated id would make this enqueue a silent no-op.
    await this.enqueue(messageId, `deliver:${messageId}:resend-${randomUUID()}`);
    return row;
  }

  listFailed(limit: number, before?: Date): Promise<MessageRow[]> {
    return this.deliveries.listFailed(limit, before);
  }

  private enqueue(messageId: string, jobId = `deliver:${messageId}`): Promise<void> {
    return this.jobs.enqueue(JobName.DeliverMessage, { messageId }, { jobId });
  }

  private async send(message: MessageRow): Promise<{ providerMessageId: string }> {
    const kase = await this.cases.get(message.case_id);
    const inbox = await this.inboxes.get(kase.inbox_id);
    const identityId = await this.messages.lastInboundIdentityId(kase.id);
    if (!identityId) throw new PermanentDeliveryError('The case has no message from the resident to reply to');
    const to = await this.residents.getIdentity(identityId);
    const outbound: OutboundMessage = {
      messageId: message.id,
      caseId: kase.id,
      caseReference: kase.reference,
      to: { address: to.address, name: to.display_name },
      text: message.text,
      attachments: await this.withContent(message.attachments ?? []),
      sentAt: message.created_at,
    };
    return this.channels.get(message.channel).send(outbound, inbox);
  }

  /** The stored bytes of each file the reply carries, so the adapter sends them without reading the store itself. */
  private async withContent(attachments: AttachmentMeta[]): Promise<OutboundAttachment[]> {
    const loaded: OutboundAttachment[] = [];
    for (const a of attachments) {
      if (!a.id) throw new PermanentDeliveryError(`Attachment "${a.filename}" was never stored, so it cannot be sent`);
      const opened = await this.files.open(a.id).catch(() => undefined);
      if (!opened) throw new PermanentDeliveryError(`Attachment "${a.filename}" is no longer stored, so it cannot be sent`);
      loaded.push({ ...a, content: opened.bytes });
    }
    return loaded;
  }

  private async onSendError(message: MessageRow, e: unknown, ctx: JobContext): Promise<void> {
    const reason = describe(e);
    const permanent = e instanceof PermanentDeliveryError || (e instanceof HubError && e.code !== 'Unavailable');
    if (permanent || ctx.isFinalAttempt) {
      const why = permanent ? reason : `${reason} (gave up after ${ctx.attempt} attempts)`;
      await this.advance(message, DeliveryStatus.Failed, { reason: why });
      this.metrics.delivery.inc({ channel: message.channel, outcome: 'failed' });
      return;
    }
    await this.deliveries.release(message.id, reason);
    this.metrics.delivery.inc({ channel: message.channel, outcome: 'retry' });
    throw e instanceof Error ? e : new Error(reason); // the queue retries after its back-off
  }

  private async advance(message: MessageRow, to: DeliveryStatus, extra: { providerMessageId?: string; reason?: string }): Promise<void> {
    await this.db.transaction(async (tx) => {
      const row = await this.deliveries.advance(tx.manager, message.id, to, predecessorsOf(to), extra);
      if (row) tx.emit('message.status-changed', { caseId: row.case_id, messageId: row.id, status: to, reason: row.delivery_reason });
    });
  }
}

function describe(e: unknown): string {
  if (e instanceof TransientDeliveryError || e instanceof PermanentDeliveryError || e instanceof HubError) return e.message;
  return `unexpected error: ${(e as Error)?.message ?? String(e)}`;
}
