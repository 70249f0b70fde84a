import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { randomUUID } from 'node:crypto';
import { CasePriority, CaseStatus, Channel } from '../common/enum';
import { HubError } from '../common/errors';
import { Env } from '../config/env';
import { Db, Tx } from '../database/db';
import { TriageDecision, TriageService } from '../routing/triage.service';
import { CaseRepository, CaseRow, NewInboundCase } from './case.repository';
import { assertTransition, statusOnResidentReply } from './case-status';

export interface InboundForCase {
  residentId: string;
  inbox: { id: string; name: string; departmentId: string };
  channel: Channel;
  text: string;
  subject?: string;
  at: Date;
  /** A case the channel named (an email reply): joined if it is on this inbox and still takes messages. */
  caseId?: string;
  /** The channel proved caseId (a signed reply address): joined whichever inbox the case is on. */
  caseProven?: boolean;
  /** Open a new case instead of joining the resident's open one. */
  newThread?: boolean;
  /** The service the resident chose: a new case is filed under it (and its department). */
  serviceId?: string;
}

export interface ThreadedCase {
  case: CaseRow;
  created: boolean;
  reopened: boolean;
}

/** The case's own rules: threading, the state machine, queue order. */
@Injectable()
export class CasesService {
  constructor(
    private readonly db: Db,
    private readonly cases: CaseRepository,
    private readonly triage: TriageService,
    private readonly env: Env,
  ) {}

  /**
   * Puts a resident's message on a case: the open one on this inbox, a resolved one reopened within the window,
   * or a new case triaged by the council's rules.
   */
  async threadInbound(tx: Tx, input: InboundForCase): Promise<ThreadedCase> {
    const [threaded] = await this.threadInboundMany(tx, [input]);
    return threaded;
  }

  /**
   * threadInbound for the messages of an intake batch, in order, so that a message may join the case an earlier one
   * opened. One statement per step instead of per message: the cases the residents have are found and locked
   * together, the rules run in memory message by message, then opened cases are inserted and joined ones updated.
   * The case events come out in message order, each with the version the case had after that message.
   */
  async threadInboundMany(tx: Tx, inputs: InboundForCase[]): Promise<ThreadedCase[]> {
    const pairs = new Map(inputs.filter((i) => !i.newThread).map((i) => [pairKey(i.residentId, i.inbox.id), { residentId: i.residentId, inboxId: i.inbox.id }]));
    const locked = await this.cases.findThreadableMany(tx.manager, [...pairs.values()], this.env.REOPEN_WINDOW_DAYS);
    const named = [...new Set(inputs.flatMap((i) => (i.caseId ? [i.caseId] : [])))];
    const explicit = named.length ? await this.cases.findThreadableByIds(tx.manager, named, this.env.REOPEN_WINDOW_DAYS) : [];
    // One draft per case, however it was found (a message naming it, or the resident's newest on the inbox).
    const byId = new Map<string, CaseDraft>();
    const draftOf = (row: CaseRow) => byId.get(row.id) ?? byId.set(row.id, joinedDraft(row)).get(row.id)!;
    const current = new Map(locked.map((row) => [pairKey(row.resident_id, row.inbox_id), draftOf(row)]));
    for (const row of explicit) current.set(caseKey(row.id), draftOf(row));
    const steps = inputs.map((input, i) => this.threadStep(current, input, i));

    const drafts = [...new Set(steps.map((s) => s.draft))];
    const opened = drafts.filter((d) => d.opened).map(toNewCase);
    const joined = drafts.filter((d) => !d.opened).map(toInboundChange);
    const rows = new Map<string, CaseRow>();
    if (opened.length) for (const row of await this.cases.insertMany(tx.manager, opened)) rows.set(row.id, row);
    if (joined.length) for (const row of await this.cases.recordInboundMany(tx.manager, joined)) rows.set(row.id, row);

    return steps.map(({ draft, created, reopened, version, status }) => {
      const row = rows.get(draft.id);
      if (!row) throw new Error(`case ${draft.id} was not written`);
      if (created) tx.emit('case.created', { caseId: row.id, reference: row.reference, departmentId: row.department_id, channel: row.channel, version });
      else tx.emit('case.updated', { caseId: row.id, version, status, reopened });
      return { case: row, created, reopened };
    });
  }

  /** One message of a batch: the rules of threadInbound, applied to the batch's view of the case in memory. */
  private threadStep(current: Map<string, CaseDraft>, input: InboundForCase, index: number): ThreadStep {
    const named = input.caseId ? current.get(caseKey(input.caseId)) : undefined;
    const joinsNamed = named !== undefined && (named.inboxId === input.inbox.id || input.caseProven === true);
    const key = joinsNamed ? caseKey(input.caseId!) : input.newThread ? `new/${index}` : pairKey(input.residentId, input.inbox.id);
    const draft = current.get(key);
    if (!draft) {
      const decision = this.triage.decide({ inboxName: input.inbox.name, inboxDepartmentId: input.inbox.departmentId, text: input.text, subject: input.subject, serviceId: input.serviceId });
      const opened = openedDraft(input, decision);
      current.set(key, opened);
      current.set(pairKey(input.residentId, input.inbox.id), opened); // now the resident's newest case here
      return { draft: opened, created: true, reopened: false, version: opened.version, status: opened.status };
    }
    const status = statusOnResidentReply(draft.status, draft.assigneeId !== null);
    if (status !== draft.status) assertTransition(draft.status, status);
    const reopened = draft.status === CaseStatus.Resolved;
    draft.priority = this.triage.escalation(draft.priority, input.text) ?? draft.priority;
    draft.status = status;
    draft.version += 1;
    draft.messagesTaken += 1;
    draft.reopened ||= reopened;
    if (!draft.lastInboundAt || input.at > draft.lastInboundAt) draft.lastInboundAt = input.at;
    return { draft, created: false, reopened, version: draft.version, status };
  }

  async findMany(ids: string[], m?: EntityManager): Promise<CaseRow[]> {
    return this.cases.findByIds(ids, m);
  }

  /**
   * Changes a case's status through the state machine. The case is locked first, so a concurrent writer (a reply
   * claiming it) is waited for and the transition is judged on what it left; a stale expectedVersion is a Conflict.
   */
  async changeStatus(tx: Tx, caseId: string, to: CaseStatus, expectedVersion?: number): Promise<CaseRow> {
    const current = await this.cases.findByIdForUpdate(tx.manager, caseId);
    if (!current) throw HubError.notFound('Case', caseId);
    assertTransition(current.status, to);
    const updated = await this.cases.transition(tx.manager, caseId, current.status, to, expectedVersion);
    if (!updated) throw HubError.conflict('The case changed meanwhile: reload it and try again', { caseId });
    tx.emit('case.updated', { caseId, version: updated.version, status: updated.status });
    return updated;
  }

  async get(caseId: string, m?: EntityManager): Promise<CaseRow> {
    const row = await this.cases.findById(caseId, m);
    if (!row) throw HubError.notFound('Case', caseId);
    return row;
  }

  /** The resident left before anyone answered (a web chat closed or ended): true if this marked it. */
  async markAbandoned(caseId: string): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const row = await this.cases.markAbandoned(tx.manager, caseId);
      if (row) tx.emit('case.updated', { caseId, version: row.version, status: row.status });
      return row !== undefined;
    });
  }

  /**
   * The resident chose a service after their case was opened (a web chat's pre-chat form): a case with no service
   * takes it, and, as triage files a new case, its department too, unless someone already owns the case (it stays
   * in theirs). A closed case, or one with a service, is left alone. True when the case changed.
   */
  async fileUnderChosenService(caseId: string, service: { id: string; departmentId: string }): Promise<boolean> {
    return this.db.transaction(async (tx) => {
      const kase = await this.cases.findByIdForUpdate(tx.manager, caseId);
      if (!kase || kase.service_id || kase.status === CaseStatus.Closed) return false;
      const departmentId = kase.assignee_id ? kase.department_id : service.departmentId;
      const row = await this.cases.fileUnderService(tx.manager, caseId, service.id, departmentId);
      if (!row) return false;
      if (row.department_id === kase.department_id) tx.emit('case.updated', { caseId, version: row.version, status: row.status });
      else {
        tx.emit('case.transferred', {
          caseId,
          version: row.version,
          fromDepartmentId: kase.department_id,
          toDepartmentId: row.department_id,
          previousAssigneeId: null,
          assigneeId: null,
          byAgentId: null,
        });
      }
      return true;
    });
  }

  /** Moves every case of one resident to another (a resident merge), inside the caller's transaction. */
  moveToResident(tx: Tx, fromResidentId: string, toResidentId: string): Promise<number> {
    return this.cases.moveToResident(tx.manager, fromResidentId, toResidentId);
  }
}

/** A case as an intake batch sees it: read (or opened) once, then changed in memory message by message. */
interface CaseDraft {
  id: string;
  /** Opened by this batch (inserted at the end), or an existing case (updated at the end). */
  opened: boolean;
  residentId: string;
  inboxId: string;
  channel: Channel;
  departmentId: string;
  serviceId: string | null;
  subject: string | null;
  status: CaseStatus;
  priority: CasePriority;
  assigneeId: string | null;
  version: number;
  openedAt: Date;
  lastInboundAt: Date | null;
  reopened: boolean;
  /** Messages of the batch that joined it (after the one that opened it, if it did). */
  messagesTaken: number;
}

interface ThreadStep {
  draft: CaseDraft;
  created: boolean;
  reopened: boolean;
  /** The case's version and status right after this message, for its event. */
  version: number;
  status: CaseStatus;
}

function caseKey(caseId: string): string {
  return `case/${caseId}`;
}

function pairKey(residentId: string, inboxId: string): string {
  return `${residentId}/${inboxId}`;
}

/** Longest case subject: it is shown on one line in every queue and pushed with every case. */
export const CASE_SUBJECT_MAX = 255;

/**
 * A case's subject from its first message's (an email's Subject): one line of at most CASE_SUBJECT_MAX characters.
 * Mail brings headers of any length (200,000 characters were accepted in a test), and every queue would carry them.
 */
export function caseSubject(subject: string | undefined): string | null {
  const line = (subject ?? '').replace(/\s+/g, ' ').trim();
  if (!line) return null;
  return line.length <= CASE_SUBJECT_MAX ? line : `${line.slice(0, CASE_SUBJECT_MAX - 1).trimEnd()}…`;
}

function openedDraft(input: InboundForCase, decision: TriageDecision): CaseDraft {
  return {
    id: randomUUID(),
    opened: true,
    residentId: input.residentId,
    inboxId: input.inbox.id,
    channel: input.channel,
    departmentId: decision.departmentId,
    serviceId: decision.serviceId,
    subject: caseSubject(input.subject),
    status: CaseStatus.New,
    priority: decision.priority,
    assigneeId: null,
    version: 1,
    openedAt: input.at,
    lastInboundAt: input.at,
    reopened: false,
    messagesTaken: 0,
  };
}

function joinedDraft(row: CaseRow): CaseDraft {
  return {
    id: row.id,
    opened: false,
    residentId: row.resident_id,
    inboxId: row.inbox_id,
    channel: row.channel,
    departmentId: row.department_id,
    serviceId: row.service_id,
    subject: row.subject,
    status: row.status,
    priority: row.priority,
    assigneeId: row.assignee_id,
    version: row.version,
    openedAt: row.created_at,
    lastInboundAt: row.last_inbound_at,
    reopened: false,
    messagesTaken: 0,
  };
}

function toNewCase(d: CaseDraft): NewInboundCase {
  return {
    id: d.id,
    residentId: d.residentId,
    inboxId: d.inboxId,
    channel: d.channel,
    departmentId: d.departmentId,
    serviceId: d.serviceId,
    priority: d.priority,
    subject: d.subject,
    at: d.openedAt,
    status: d.status,
    version: d.version,
    lastInboundAt: d.lastInboundAt ?? d.openedAt,
    messagesAfterOpening: d.messagesTaken,
  };
}

function toInboundChange(d: CaseDraft) {
  return { caseId: d.id, status: d.status, priority: d.priority, at: d.lastInboundAt!, reopened: d.reopened, messages: d.messagesTaken };
}
