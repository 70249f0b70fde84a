import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { CaseStatus, Channel } from '../common/enum';
import { HubError } from '../common/errors';
import { Env } from '../config/env';
import { Db, Tx } from '../database/db';
import { TriageService } from '../routing/triage.service';
import { CaseRepository, CaseRow } from './case.repository';
import { assertTransition, statusOnResidentReply } from './case-status';

export interface InboundForCase {
  residentId: string;
  inbox: { id: string; name: string; departmentId: string };
  channel: Channel;
  text: string;
  subject?: string;
  at: Date;
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
    const current = await this.cases.findThreadable(tx.manager, input.residentId, input.inbox.id, this.env.REOPEN_WINDOW_DAYS);
    if (!current) return { case: await this.open(tx, input), created: true, reopened: false };
    const status = statusOnResidentReply(current.status, current.assignee_id !== null);
    if (status !== current.status) assertTransition(current.status, status);
    const reopened = current.status === CaseStatus.Resolved;
    const priority = this.triage.escalation(current.priority, input.text) ?? current.priority;
    const updated = await this.cases.recordInbound(tx.manager, current.id, { status, priority, at: input.at, reopened });
    tx.emit('case.updated', { caseId: updated.id, version: updated.version, status: updated.status, reopened });
    return { case: updated, created: false, reopened };
  }

  /** Changes a case's status through the state machine; a concurrent change makes it a Conflict. */
  async changeStatus(tx: Tx, caseId: string, to: CaseStatus, expectedVersion?: number): Promise<CaseRow> {
    const current = await this.cases.findById(caseId, tx.manager);
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

  private async open(tx: Tx, input: InboundForCase): Promise<CaseRow> {
    const decision = this.triage.decide({ inboxName: input.inbox.name, inboxDepartmentId: input.inbox.departmentId, text: input.text, subject: input.subject });
    const row = await this.cases.insert(tx.manager, {
      residentId: input.residentId,
      inboxId: input.inbox.id,
      channel: input.channel,
      departmentId: decision.departmentId,
      serviceId: decision.serviceId,
      priority: decision.priority,
      subject: input.subject ?? null,
      at: input.at,
    });
    tx.emit('case.created', { caseId: row.id, reference: row.reference, departmentId: row.department_id, channel: row.channel, version: row.version });
    return row;
  }
}
