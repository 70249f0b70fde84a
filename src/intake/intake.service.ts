import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { InboundMessage, InboxConfig } from '../channels/channel-adapter';
import { HubError } from '../common/errors';
import { Env } from '../config/env';
import { CasesService } from '../cases/cases.service';
import { Db, Tx } from '../database/db';
import { PendingEvent } from '../events/hub-events';
import { MessageRow } from '../messages/message.repository';
import { MessagesService } from '../messages/messages.service';
import { MetricsService } from '../metrics/metrics.service';
import { ResidentsService, RetryUnit } from '../residents/residents.service';
import { redactCardData } from './redaction';
import { GroupQueue } from '../common/batch-loader';
import { withoutNul } from '../common/nul';

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
 * A group costs a fixed handful of statements whatever its size (each step is one set-based statement), which
 * is where the throughput comes from. If one message in a group fails, the group rolls back and goes again in
 * halves, so one bad message never takes its neighbours down and nothing is half-stored.
 */
@Injectable()
export class IntakeService {
  private readonly logger = new Logger(IntakeService.name);
  private readonly groups: GroupQueue<Item>;

  constructor(
    private readonly db: Db,
    private readonly residents: ResidentsService,
    private readonly cases: CasesService,
    private readonly messages: MessagesService,
    private readonly audit: AuditService,
    private readonly metrics: MetricsService,
    env: Env,
  ) {
    // The embedded database runs one transaction at a time. On PostgreSQL two overlap: one group's statements run
    // while the other's commit waits for the disk. More split the waiting messages into smaller groups that each
    // pay for a commit (measured: bench/intake.bench.ts), and queue behind each other on shared residents anyway.
    const maxRunning = env.DATABASE_URL ? Math.max(1, Math.min(2, env.DATABASE_POOL_SIZE - 2)) : 1;
    this.groups = new GroupQueue((group) => this.commitGroup(group), { maxGroup: env.INTAKE_BATCH_MAX, maxRunning });
  }

  receive(received: InboundMessage, inbox: InboxConfig): Promise<IntakeResult> {
    // Whatever the channel: a NUL from outside would fail the transaction of the whole group (see withoutNul).
    const msg = withoutNul(received);
    checkMessage(msg, inbox);
    return new Promise((resolve, reject) => {
      this.groups.push({ msg, inbox, resolve, reject });
    });
  }

  /**
   * One transaction for the whole group. A concurrent writer that won a key (an identity, an external id) or a
   * deadlock: the group goes again and then finds the other's rows. Any other failure belongs to one message: the
   * group splits in halves that go again on their own, so the bad message is found in a few transactions and its
   * neighbours are stored. Nothing of a failed transaction was stored.
   */
  private async commitGroup(group: Item[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      const outbox: PendingEvent[] = [];
      try {
        const outcomes = await this.db.rawTransaction((manager) => this.take(unitOfWork(manager, outbox), group));
        this.metrics.intakeBatch.observe(group.length);
        this.db.publish(outbox);
        return outcomes.forEach(([result, outcome], i) => this.settle(group[i], result, outcome));
      } catch (e) {
        if (attempt < MAX_TRIES && isRetryable(e)) continue;
        if (group.length === 1) return this.fail(group[0], e);
        const half = Math.ceil(group.length / 2);
        await this.commitGroup(group.slice(0, half));
        return this.commitGroup(group.slice(half));
      }
    }
  }

  private settle(item: Item, result: IntakeResult, outcome: Outcome): void {
    this.metrics.intake.inc({ channel: item.msg.channel, outcome });
    item.resolve(result);
  }

  private fail(item: Item, e: unknown): void {
    this.metrics.intake.inc({ channel: item.msg.channel, outcome: e instanceof HubError ? 'rejected' : 'error' });
    if (!(e instanceof HubError)) this.logger.error(`intake of ${item.msg.channel}:${item.msg.externalMessageId} failed: ${(e as Error).stack}`);
    item.reject(e);
  }

  /**
   * The group's messages in order, inside the caller's transaction, as if taken one by one: a repeat of an
   * external id (stored before, or earlier in the group) answers with the first result; a resident's second
   * message joins the case their first one opened. Each step is one statement for the whole group.
   */
  private async take(tx: Tx, group: Item[]): Promise<Array<[IntakeResult, Outcome]>> {
    const first = new Map<string, Item>();
    for (const item of group) if (!first.has(messageKey(item.msg))) first.set(messageKey(item.msg), item);
    const results = await this.findStored(tx.manager, [...first.values()]);
    const fresh = [...first.values()].filter((item) => !results.has(messageKey(item.msg)));
    if (fresh.length) (await this.store(tx, fresh)).forEach((taken, i) => results.set(messageKey(fresh[i].msg), taken));
    return group.map((item) => {
      const [result, outcome] = results.get(messageKey(item.msg))!;
      return first.get(messageKey(item.msg)) === item ? [result, outcome] : [{ ...result, duplicate: true }, 'duplicate'];
    });
  }

  /** Messages already stored under their (channel, external id): the first result, as a duplicate. */
  private async findStored(m: EntityManager, items: Item[]): Promise<Map<string, [IntakeResult, Outcome]>> {
    const seen = await this.messages.findInboundMany(m, items.map(({ msg }) => ({ channel: msg.channel, externalId: msg.externalMessageId })));
    if (!seen.length) return new Map();
    const cases = new Map((await this.cases.findMany([...new Set(seen.map((row) => row.case_id))], m)).map((c) => [c.id, c]));
    const results = new Map<string, [IntakeResult, Outcome]>();
    for (const row of seen) {
      const first = cases.get(row.case_id);
      if (!first) throw HubError.notFound('Case', row.case_id);
      const result = { caseId: first.id, reference: first.reference, messageId: row.id, duplicate: true };
      results.set(messageKey({ channel: row.channel, externalMessageId: row.external_id! }), [result, 'duplicate']);
    }
    return results;
  }

  /** New messages (one per external id): residents, cases, messages, audit, one statement per step. */
  private async store(tx: Tx, items: Item[]): Promise<Array<[IntakeResult, Outcome]>> {
    const identities = await this.residents.resolveIdentities(
      tx,
      items.map(({ msg }) => ({ channel: msg.channel, address: msg.sender.address, name: msg.sender.name })),
    );
    const clean = items.map(({ msg }) => redact(msg));
    const threaded = await this.cases.threadInboundMany(
      tx,
      items.map(({ msg, inbox }, i) => ({
        residentId: identities[i].residentId,
        inbox,
        channel: msg.channel,
        text: clean[i].text,
        subject: clean[i].subject,
        at: clean[i].receivedAt,
        caseId: msg.caseId,
        caseProven: msg.caseProven,
        newThread: msg.newThread,
        serviceId: msg.serviceId,
      })),
    );
    const stored = await this.messages.recordInboundMany(
      tx,
      items.map(({ msg }, i) => ({
        caseId: threaded[i].case.id,
        channel: msg.channel,
        externalId: msg.externalMessageId,
        identityId: identities[i].identityId,
        text: clean[i].text,
        textFull: clean[i].textFull,
        attachments: msg.attachments,
        redactions: clean[i].redactions,
        sentAt: clean[i].sentAt,
      })),
    );
    const lost = items.findIndex((_, i) => !stored[i]);
    if (lost >= 0) throw new RetryUnit(`message ${items[lost].msg.channel}:${items[lost].msg.externalMessageId} was stored concurrently`);
    const results: Array<[IntakeResult, Outcome]> = [];
    for (const [i, message] of (stored as MessageRow[]).entries()) {
      const { redactions } = clean[i];
      if (redactions) {
        await this.audit.record(tx.manager, { actorType: 'system', action: 'message.card-data-removed', subjectType: 'message', subjectId: message.id, details: redactions });
      }
      const { case: c, created, reopened } = threaded[i];
      const outcome: Outcome = created ? 'new_case' : reopened ? 'reopened' : 'threaded';
      results.push([{ caseId: c.id, reference: c.reference, messageId: message.id, duplicate: false }, outcome]);
    }
    return results;
  }
}

function messageKey(msg: Pick<InboundMessage, 'channel' | 'externalMessageId'>): string {
  return `${msg.channel}\u0000${msg.externalMessageId}`;
}

/** Card data never reaches the database: text, full text and subject are redacted before anything is stored. */
function redact(msg: InboundMessage) {
  const text = redactCardData(msg.text);
  const textFull = msg.textFull === undefined ? undefined : redactCardData(msg.textFull);
  const found = text.cardNumbers + (textFull?.cardNumbers ?? 0) > 0;
  return {
    text: text.text,
    textFull: textFull?.text ?? null,
    subject: msg.subject === undefined ? undefined : redactCardData(msg.subject).text,
    ...times(msg.sentAt),
    redactions: found ? summarise(text, textFull) : null,
  };
}

/** How far ahead of the hub's clock a sender's clock may run before its time is not believed. */
const SENDER_CLOCK_AHEAD_MS = 5 * 60_000;

/**
 * The case runs on the hub's clock: when it was received decides its place in the queue, its reference year, its SLA
 * clock and reopen window, whatever time the sender wrote into an email's Date header or an API call's sentAt. The
 * message keeps the sender's time as a label, unless it lies in the future.
 */
function times(sentAt: Date | undefined): { receivedAt: Date; sentAt: Date } {
  const receivedAt = new Date();
  const believable = sentAt && sentAt.getTime() <= receivedAt.getTime() + SENDER_CLOCK_AHEAD_MS;
  return { receivedAt, sentAt: believable ? sentAt : receivedAt };
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
