import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { InboundMessage, InboxConfig } from '../channels/channel-adapter';
import { HubError } from '../common/errors';
import { Env } from '../config/env';
import { CasesService } from '../cases/cases.service';
import { Db, Tx } from '../database/db';
import { PendingEvent } from '../events/hub-events';
import { MessagesService } from '../messages/messages.service';
import { MetricsService } from '../metrics/metrics.service';
import { ResidentsService, RetryUnit } from '../residents/residents.service';
import { redactCardData } from './redaction';

export interface IntakeResult {
  caseId: string;
  reference: string;
  messageId: string;
  /** True when this (channel, external id) was already stored: the first result is returned. */
  duplicate: boolean;
}

type Outcome = 'new_case' | 'threaded' | 'reopened' | 'duplicate';

interface Item {
  msg: InboundMessage;
  inbox: InboxConfig;
  resolve(r: IntakeResult): void;
  reject(e: unknown): void;
}

/** PostgreSQL error codes worth a second try: serialization failure, deadlock, unique violation. */
const RETRYABLE = new Set(['40001', '40P01', '23505']);
const MAX_TRIES = 5;

/**
 * Intake: makes an inbound message durable and idempotent and puts it on a case, in one short transaction.
 *
 * Group commit: requests that arrive while a transaction is in flight wait and are committed together in the
 * next one, so the cost of a commit (an fsync) is shared while every caller still waits for its own commit.
 * If any message in a group fails, the group rolls back and each message is retried alone, so one bad
 * message never takes its neighbours down and nothing is half-stored.
 */
@Injectable()
export class IntakeService {
  private readonly logger = new Logger(IntakeService.name);
  private readonly waiting: Item[] = [];
  private running = 0;
  private readonly maxRunning: number;

  constructor(
    private readonly db: Db,
    private readonly residents: ResidentsService,
    private readonly cases: CasesService,
    private readonly messages: MessagesService,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    private readonly env: Env,
  ) {
    // The embedded database runs one transaction at a time; PostgreSQL gains from a few in parallel.
    this.maxRunning = env.DATABASE_URL ? Math.max(1, Math.min(4, env.DATABASE_POOL_SIZE - 2)) : 1;
  }

  receive(msg: InboundMessage, inbox: InboxConfig): Promise<IntakeResult> {
    checkMessage(msg, inbox);
    return new Promise((resolve, reject) => {
      this.waiting.push({ msg, inbox, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.running < this.maxRunning && this.waiting.length > 0) {
      const group = this.waiting.splice(0, this.env.INTAKE_BATCH_MAX);
      this.running++;
      void this.commitGroup(group).finally(() => {
        this.running--;
        this.pump();
      });
    }
  }

  private async commitGroup(group: Item[]): Promise<void> {
    if (group.length === 1) return this.commitAlone(group[0]);
    const outbox: PendingEvent[] = [];
    try {
      const outcomes = await this.db.rawTransaction(async (manager) => {
        const done: Array<[IntakeResult, Outcome]> = [];
        for (const item of group) done.push(await this.take(unitOfWork(manager, outbox), item));
        return done;
      });
      this.metrics.intakeBatch.observe(group.length);
      this.db.publish(outbox);
      outcomes.forEach(([result, outcome], i) => this.settle(group[i], result, outcome));
    } catch {
      // Someone in the group failed: nothing of the group was stored. Each goes again on its own.
      for (const item of group) await this.commitAlone(item);
    }
  }

  private async commitAlone(item: Item): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const outbox: PendingEvent[] = [];
      try {
        const [result, outcome] = await this.db.rawTransaction((manager) => this.take(unitOfWork(manager, outbox), item));
        this.metrics.intakeBatch.observe(1);
        this.db.publish(outbox);
        return this.settle(item, result, outcome);
      } catch (e) {
        if (attempt < MAX_TRIES && isRetryable(e)) continue;
        this.metrics.intake.inc({ channel: item.msg.channel, outcome: e instanceof HubError ? 'rejected' : 'error' });
        if (!(e instanceof HubError)) this.logger.error(`intake of ${item.msg.channel}:${item.msg.externalMessageId} failed: ${(e as Error).stack}`);
        return item.reject(e);
      }
    }
  }

  private settle(item: Item, result: IntakeResult, outcome: Outcome): void {
    this.metrics.intake.inc({ channel: item.msg.channel, outcome });
    item.resolve(result);
  }

  /** One message, inside the caller's transaction. */
  private async take(tx: Tx, { msg, inbox }: Item): Promise<[IntakeResult, Outcome]> {
    const seen = await this.messages.findInbound(tx.manager, msg.channel, msg.externalMessageId);
    if (seen) {
      const first = await this.cases.get(seen.case_id, tx.manager);
      return [{ caseId: first.id, reference: first.reference, messageId: seen.id, duplicate: true }, 'duplicate'];
    }

    const identity = await this.residents.resolveIdentity(tx, msg.channel, msg.sender.address, msg.sender.name);
    const text = redactCardData(msg.text);
    const textFull = msg.textFull === undefined ? undefined : redactCardData(msg.textFull);
    const subject = msg.subject === undefined ? undefined : redactCardData(msg.subject).text;
    const at = msg.sentAt ?? new Date();
    const threaded = await this.cases.threadInbound(tx, { residentId: identity.residentId, inbox, channel: msg.channel, text: text.text, subject, at });

    const redactions = text.cardNumbers + (textFull?.cardNumbers ?? 0) > 0 ? summarise(text, textFull) : null;
    const stored = await this.messages.recordInbound(tx, {
      caseId: threaded.case.id,
      channel: msg.channel,
      externalId: msg.externalMessageId,
      identityId: identity.identityId,
      text: text.text,
      textFull: textFull?.text ?? null,
      attachments: msg.attachments,
      redactions,
      sentAt: at,
    });
    if (!stored) throw new RetryUnit(`message ${msg.channel}:${msg.externalMessageId} was stored concurrently`);
    if (redactions) {
      await this.audit.record(tx.manager, { actorType: 'system', action: 'message.card-data-removed', subjectType: 'message', subjectId: stored.id, details: redactions });
    }
    const outcome: Outcome = threaded.created ? 'new_case' : threaded.reopened ? 'reopened' : 'threaded';
    return [{ caseId: threaded.case.id, reference: threaded.case.reference, messageId: stored.id, duplicate: false }, outcome];
  }
}

function unitOfWork(manager: EntityManager, outbox: PendingEvent[]): Tx {
  return { manager, emit: (name, payload) => outbox.push({ name, payload } as PendingEvent) };
}

function isRetryable(e: unknown): boolean {
  return e instanceof RetryUnit || RETRYABLE.has((e as { code?: string })?.code ?? '');
}

function summarise(text: ReturnType<typeof redactCardData>, full?: ReturnType<typeof redactCardData>): Record<string, number> {
  const pick = (r: ReturnType<typeof redactCardData>) => r.cardNumbers + r.expiryDates + r.securityCodes;
  const best = full && pick(full) > pick(text) ? full : text;
  return { cardNumbers: best.cardNumbers, expiryDates: best.expiryDates, securityCodes: best.securityCodes };
}

/** Adapters validate their payloads; this guards the core against an adapter that let something through. */
function checkMessage(msg: InboundMessage, inbox: InboxConfig): void {
  if (msg.channel !== inbox.channel) throw HubError.validation(`a ${msg.channel} message cannot arrive on a ${inbox.channel} inbox`);
  if (!msg.externalMessageId) throw HubError.validation('externalId is required', { field: 'externalId' });
  if (!msg.sender?.address) throw HubError.validation('from.address is required', { field: 'from.address' });
}
