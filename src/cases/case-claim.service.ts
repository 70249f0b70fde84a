import { Injectable } from '@nestjs/common';
import { AgentsService, isUuid } from '../agents/agents.service';
import { AuditService } from '../audit/audit.service';
import { canSeeCase } from '../auth/access';
import type { Actor } from '../auth/actor';
import { AgentRole, CasePriority, CaseStatus, MessageDirection } from '../common/enum';
import { HubError } from '../common/errors';
import { Db, Tx } from '../database/db';
import { DepartmentsService } from '../departments/departments.service';
import { MessagesService } from '../messages/messages.service';
import { CaseClaimRepository } from './case-claim.repository';
import { CaseRepository, CaseRow } from './case.repository';
import { assertTransition, closedCase } from './case-status';
import { CasesService } from './cases.service';
import { Claimed, ClaimedView, ClaimNextQueue, Refusal } from './claim-next.queue';

export interface TransferTarget {
  departmentId?: string;
  agentId?: string;
  note?: string;
}

/**
 * Who owns a case. One claim, one owner: every change of owner is a conditional update in PostgreSQL, and the
 * next waiting case is taken with FOR UPDATE SKIP LOCKED, so racing agents never get the same case.
 *
 * Rules: an agent works the cases of their departments (another department's case is NotFound to them); an
 * owned case is changed (released, transferred, re-prioritised, moved on) by its owner, or by a supervisor or an
 * admin; only the owner replies, and a supervisor takes a case over before replying.
 */
@Injectable()
export class CaseClaimService {
  constructor(
    private readonly db: Db,
    private readonly claims: CaseClaimRepository,
    private readonly caseRows: CaseRepository,
    private readonly cases: CasesService,
    private readonly messages: MessagesService,
    private readonly agents: AgentsService,
    private readonly departments: DepartmentsService,
    private readonly audit: AuditService,
    private readonly claimNextQueue: ClaimNextQueue,
  ) {}

  /**
   * The first waiting case (priority, then oldest) of the actor's departments, or of one of them; refused at
   * capacity. Claims arriving together commit together (ClaimNextQueue); `view` is read inside that transaction.
   */
  async claimNext<V = never>(actor: Actor, departmentId?: string, view?: ClaimedView<V>): Promise<Claimed<V>> {
    const claimed = await this.claimNextQueue.claim(actor.id, claimableDepartments(actor, departmentId), view);
    if (!('refused' in claimed)) return claimed;
    if (claimed.refused === 'nothing waiting') throw HubError.conflict('Nothing is waiting in your queue', { reason: 'nothing waiting' });
    throw HubError.conflict(`You are at capacity (${claimed.load} of ${claimed.capacity} cases open or pending): finish one or raise your capacity`, {
      reason: 'at capacity',
      load: claimed.load,
      capacity: claimed.capacity,
    });
  }

  /** A named case. Someone else's case is a Conflict, unless a supervisor or an admin takes it over. */
  async claim(actor: Actor, caseId: string, takeOver = false): Promise<CaseRow> {
    return this.db.transaction(async (tx) => {
      const kase = await this.lockVisible(tx, actor, caseId);
      assertClaimable(kase); // before the owner's shortcut: a closed case is not claimed, not even by its owner
      if (kase.assignee_id === actor.id) return kase;
      if (kase.assignee_id && !takeOver) {
        throw HubError.conflict(`Case ${kase.reference} is owned by ${await this.nameOf(tx, kase.assignee_id)}`, { assigneeId: kase.assignee_id });
      }
      if (kase.assignee_id && actor.role === AgentRole.Agent) throw HubError.forbidden('Only a supervisor or an admin may take over a case');
      return this.takeLocked(tx, actor, kase);
    });
  }

  /**
   * Inside the caller's transaction, with the case locked: the actor must own it to reply; an unowned case becomes
   * theirs (a reply is how the queue is worked), someone else's is refused.
   */
  async ensureOwner(tx: Tx, actor: Actor, kase: CaseRow): Promise<CaseRow> {
    if (kase.assignee_id === actor.id) return kase;
    if (!kase.assignee_id) return this.takeLocked(tx, actor, kase);
    const owner = await this.nameOf(tx, kase.assignee_id);
    throw HubError.forbidden(`Case ${kase.reference} is owned by ${owner}: only they reply${actor.role === AgentRole.Agent ? '' : ' (take it over first)'}`);
  }

  /**
   * Inside the caller's transaction: the case of a failed message going out again, locked (a status change or a
   * take-over waits for the re-send) and checked as a reply is: not closed, and the agent's own (an unowned case
   * becomes theirs). A supervisor or an admin re-sends without taking the case over: clearing failed messages is
   * their job (GET /api/v1/messages/failed), and the words are the owner's, unchanged.
   */
  async lockForResend(tx: Tx, actor: Actor, caseId: string): Promise<CaseRow> {
    const kase = await this.lockVisible(tx, actor, caseId);
    if (kase.status === CaseStatus.Closed) throw closedCase(kase);
    return actor.role === AgentRole.Agent ? this.ensureOwner(tx, actor, kase) : kase;
  }

  /** Back to the department's queue as `new`, unowned. */
  async release(actor: Actor, caseId: string): Promise<CaseRow> {
    return this.db.transaction(async (tx) => {
      const kase = await this.lockVisible(tx, actor, caseId);
      if (!kase.assignee_id) throw HubError.conflict(`Case ${kase.reference} is not owned by anyone`);
      await this.assertMayChange(tx, actor, kase, 'release');
      if (kase.status !== CaseStatus.New) assertTransition(kase.status, CaseStatus.New);
      const row = await this.claims.assign(tx.manager, kase.id, null, kase.assignee_id, CaseStatus.New);
      if (!row) throw changedMeanwhile(kase);
      await this.record(tx, actor, 'case.released', row, { previousAssigneeId: kase.assignee_id });
      tx.emit('case.assigned', assignedEvent(row, kase.assignee_id, actor.id, false));
      return row;
    });
  }

  /**
   * To another department and/or agent. Without an agent the case waits in the target department's queue; with one
   * it is theirs (they must work in that department). A system message on the case and an audit entry keep the history.
   */
  async transfer(actor: Actor, caseId: string, target: TransferTarget): Promise<CaseRow> {
    if (!target.departmentId && !target.agentId) throw HubError.validation('Name a departmentId, an agentId or both', { field: 'departmentId' });
    const toDepartment = target.departmentId ? await this.departments.getBySlugOrId(target.departmentId) : undefined;
    const toAgent = target.agentId ? await this.agentForTransfer(target.agentId) : undefined;
    return this.db.transaction(async (tx) => {
      const kase = await this.lockVisible(tx, actor, caseId);
      await this.assertMayChange(tx, actor, kase, 'transfer');
      if (kase.status === CaseStatus.Closed) throw new HubError('InvalidTransition', `Case ${kase.reference} is closed: it cannot be transferred`);
      const departmentId = toDepartment?.id ?? kase.department_id;
      if (toAgent && toAgent.role !== AgentRole.Admin && !toAgent.departmentIds.includes(departmentId)) {
        throw HubError.validation(`${toAgent.name} does not work in that department`, { field: 'agentId' });
      }
      const assigneeId = toAgent?.id ?? null;
      if (departmentId === kase.department_id && assigneeId === kase.assignee_id) throw HubError.validation('The case is already there', { field: 'departmentId' });
      const status = assigneeId ? (kase.status === CaseStatus.New ? CaseStatus.Open : kase.status) : kase.status === CaseStatus.Open ? CaseStatus.New : kase.status;
      if (status !== kase.status) assertTransition(kase.status, status);
      const row = await this.claims.transfer(tx.manager, kase.id, { departmentId, assigneeId, status }, kase.version);
      if (!row) throw changedMeanwhile(kase);
      await this.recordTransfer(tx, actor, kase, row, target.note);
      tx.emit('case.transferred', {
        caseId: row.id,
        version: row.version,
        fromDepartmentId: kase.department_id,
        toDepartmentId: row.department_id,
        previousAssigneeId: kase.assignee_id,
        assigneeId: row.assignee_id,
        byAgentId: actor.id,
      });
      return row;
    });
  }

  async setPriority(actor: Actor, caseId: string, priority: CasePriority): Promise<CaseRow> {
    return this.db.transaction(async (tx) => {
      const kase = await this.lockVisible(tx, actor, caseId);
      await this.assertMayChange(tx, actor, kase, 're-prioritise');
      if (kase.priority === priority) return kase;
      if (kase.status === CaseStatus.Closed) throw new HubError('InvalidTransition', `Case ${kase.reference} is closed`);
      const row = await this.claims.setPriority(tx.manager, kase.id, priority, kase.version);
      if (!row) throw changedMeanwhile(kase);
      await this.record(tx, actor, 'case.priority-changed', row, { from: kase.priority, to: priority });
      tx.emit('case.updated', { caseId: row.id, version: row.version, status: row.status });
      return row;
    });
  }

  /**
   * A status command through the state machine (CasesService.changeStatus). `open` with nobody on the case makes
   * the actor its owner, so an open case always has someone working it.
   */
  async setStatus(actor: Actor, caseId: string, status: CaseStatus): Promise<CaseRow> {
    return this.db.transaction(async (tx) => {
      const kase = await this.lockVisible(tx, actor, caseId);
      await this.assertMayChange(tx, actor, kase, 'change');
      if (kase.status === status) return kase;
      if (status === CaseStatus.Open && !kase.assignee_id) {
        assertTransition(kase.status, status);
        return this.takeLocked(tx, actor, kase, status);
      }
      const row = await this.cases.changeStatus(tx, kase.id, status);
      await this.record(tx, actor, 'case.status-changed', row, { from: kase.status, to: status });
      return row;
    });
  }

  /**
   * One round of auto-assignment in a department: the next agent in round robin gets the first waiting case, by
   * the same claim as claim-next (capacity checked under the agent's lock). `stop` when nothing or nobody is left.
   */
  async autoAssignOne(departmentId: string): Promise<{ assigned?: CaseRow; stop: boolean }> {
    return this.db.transaction(async (tx) => {
      if (!(await this.claims.lockAutoAssign(tx.manager, departmentId))) return { stop: true };
      const agentId = await this.claims.nextRoundRobinAgent(tx.manager, departmentId);
      if (!agentId) return { stop: true };
      const claimed = await this.claimNextFor(tx, agentId, [departmentId], null);
      if ('refused' in claimed) return { stop: claimed.refused === 'nothing waiting' };
      await this.claims.markAutoAssigned(tx.manager, agentId, departmentId);
      return { assigned: claimed, stop: false };
    });
  }

  listAutoAssignDepartments(): Promise<string[]> {
    return this.claims.listAutoAssignDepartments(this.db.manager);
  }

  /** Turns auto-assignment on or off for a department (department.settings.autoAssign). */
  async setAutoAssign(departmentId: string, on: boolean): Promise<void> {
    const department = await this.departments.getBySlugOrId(departmentId);
    await this.db.transaction(async (tx) => {
      await this.claims.setAutoAssign(tx.manager, department.id, on);
      await this.audit.record(tx.manager, { actorType: 'system', action: 'department.auto-assign', subjectType: 'department', subjectId: department.id, details: { on } });
    });
  }

  /** One claim-next inside the caller's transaction (auto-assignment, which holds its department's lock). */
  private async claimNextFor(tx: Tx, agentId: string, departmentIds: string[] | null, byAgentId: string | null): Promise<CaseRow | Refusal> {
    const agent = await this.claims.lockAgent(tx.manager, agentId);
    if (!agent) throw HubError.notFound('Agent', agentId);
    const load = await this.claims.countLoad(tx.manager, agentId);
    if (load >= agent.capacity) return { refused: 'at capacity', load, capacity: agent.capacity };
    const row = await this.claims.claimOldestWaiting(tx.manager, agentId, departmentIds);
    if (!row) return { refused: 'nothing waiting' };
    await this.audit.record(tx.manager, {
      actorType: byAgentId ? 'agent' : 'system',
      actorId: byAgentId,
      action: byAgentId ? 'case.claimed' : 'case.auto-assigned',
      subjectType: 'case',
      subjectId: row.id,
      details: { assigneeId: agentId },
    });
    tx.emit('case.assigned', assignedEvent(row, null, byAgentId, byAgentId === null));
    return row;
  }

  /** Makes a locked case the actor's (taking it from its owner, if any); `new` becomes `open`. */
  private async takeLocked(tx: Tx, actor: Actor, kase: CaseRow, status = kase.status === CaseStatus.New ? CaseStatus.Open : kase.status): Promise<CaseRow> {
    assertClaimable(kase);
    if (status !== kase.status) assertTransition(kase.status, status);
    const row = await this.claims.assign(tx.manager, kase.id, actor.id, kase.assignee_id, status);
    if (!row) throw changedMeanwhile(kase);
    await this.record(tx, actor, kase.assignee_id ? 'case.taken-over' : 'case.claimed', row, { previousAssigneeId: kase.assignee_id });
    tx.emit('case.assigned', assignedEvent(row, kase.assignee_id, actor.id, false));
    return row;
  }

  /** The case, locked for this transaction; NotFound when it does not exist or is outside the actor's departments. */
  private async lockVisible(tx: Tx, actor: Actor, caseId: string): Promise<CaseRow> {
    const kase = isUuid(caseId) ? await this.caseRows.findByIdForUpdate(tx.manager, caseId) : undefined;
    if (!kase || !canSeeCase(actor, kase)) throw HubError.notFound('Case', caseId);
    return kase;
  }

  private async assertMayChange(tx: Tx, actor: Actor, kase: CaseRow, what: string): Promise<void> {
    if (!kase.assignee_id || kase.assignee_id === actor.id || actor.role !== AgentRole.Agent) return;
    const owner = await this.nameOf(tx, kase.assignee_id);
    throw HubError.forbidden(`Case ${kase.reference} is owned by ${owner}: only they or a supervisor may ${what} it`);
  }

  private async agentForTransfer(agentId: string) {
    const agent = await this.agents.get(agentId).catch((e: unknown) => {
      throw e instanceof HubError && e.code === 'NotFound' ? HubError.validation(`agentId: no agent ${agentId}`, { field: 'agentId' }) : e;
    });
    if (!agent.active) throw HubError.validation(`${agent.name} is deactivated`, { field: 'agentId' });
    return agent;
  }

  private async recordTransfer(tx: Tx, actor: Actor, before: CaseRow, after: CaseRow, note?: string): Promise<void> {
    const names = await this.claims.names(tx.manager, [before.department_id, after.department_id], [before.assignee_id, after.assignee_id]);
    const side = (departmentId: string, agentId: string | null) => `${names.get(departmentId)} (${agentId ? names.get(agentId) : 'queue'})`;
    const text = `Transferred by ${actor.name} from ${side(before.department_id, before.assignee_id)} to ${side(after.department_id, after.assignee_id)}${note?.trim() ? `: ${note.trim()}` : ''}`;
    await this.messages.addStaffMessage(tx, { caseId: after.id, channel: after.channel, direction: MessageDirection.System, authorAgentId: actor.id, text });
    await this.record(tx, actor, 'case.transferred', after, {
      from: { departmentId: before.department_id, assigneeId: before.assignee_id },
      to: { departmentId: after.department_id, assigneeId: after.assignee_id },
      note: note?.trim() || null,
    });
  }

  private record(tx: Tx, actor: Actor, action: string, kase: CaseRow, details: Record<string, unknown>): Promise<void> {
    return this.audit.record(tx.manager, { actorType: 'agent', actorId: actor.id, action, subjectType: 'case', subjectId: kase.id, details });
  }

  private async nameOf(tx: Tx, agentId: string): Promise<string> {
    return (await this.claims.names(tx.manager, [], [agentId])).get(agentId) ?? 'another agent';
  }
}

/** The departments claim-next looks in: one the actor works in, or all of theirs (null: every department, admins). */
function claimableDepartments(actor: Actor, departmentId?: string): string[] | null {
  if (departmentId) {
    if (actor.role !== AgentRole.Admin && !actor.departmentIds.includes(departmentId)) throw HubError.notFound('Department', departmentId);
    return [departmentId];
  }
  return actor.role === AgentRole.Admin ? null : actor.departmentIds;
}

function assignedEvent(row: CaseRow, previousAssigneeId: string | null, byAgentId: string | null, auto: boolean) {
  return { caseId: row.id, version: row.version, departmentId: row.department_id, assigneeId: row.assignee_id, previousAssigneeId, byAgentId, auto };
}

function changedMeanwhile(kase: CaseRow): HubError {
  return HubError.conflict(`Case ${kase.reference} changed meanwhile: reload it and try again`, { caseId: kase.id });
}

function assertClaimable(kase: CaseRow): void {
  if (kase.status === CaseStatus.Closed) throw new HubError('InvalidTransition', `Case ${kase.reference} is closed: it cannot be claimed`);
}
