import { Injectable, Logger } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { HubError } from '../common/errors';
import { Db, Tx } from '../database/db';
import { CaseClaimRepository } from './case-claim.repository';
import { CaseRow } from './case.repository';

/** Why a claim of the next waiting case gave nothing. */
export type Refusal = { refused: 'nothing waiting' } | { refused: 'at capacity'; load: number; capacity: number };

/** Most claims committed together. */
const BATCH_MAX = 256;

interface Request {
  agentId: string;
  /** null: every department (admins). */
  departmentIds: string[] | null;
  resolve(outcome: CaseRow | Refusal): void;
  reject(e: unknown): void;
}

/**
 * claim-next with group commit. A claim is a short transaction, and when many agents press "next" at once
 * (a morning rush, 200 agents racing) each waiting for its own commit makes the last one wait for all the others.
 * Here the claims that arrive while one transaction is committing go together in the next: the agents' rows are
 * locked (in id order) and their loads counted once, each department set's waiting cases are taken in queue order
 * with FOR UPDATE SKIP LOCKED and handed out in the order the claims arrived, in one statement. With nothing in
 * flight a claim starts after one turn of the event loop, so a quiet hub adds no noticeable delay. A failing batch
 * is retried claim by claim, so one bad claim cannot sink the others.
 */
@Injectable()
export class ClaimNextQueue {
  private readonly logger = new Logger('ClaimNext');
  private readonly waiting: Request[] = [];
  private busy = false;

  constructor(
    private readonly db: Db,
    private readonly claims: CaseClaimRepository,
    private readonly audit: AuditService,
  ) {}

  claim(agentId: string, departmentIds: string[] | null): Promise<CaseRow | Refusal> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ agentId, departmentIds, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    if (this.busy || this.waiting.length === 0) return;
    this.busy = true;
    // One turn of the event loop first: claims read from other sockets in the same turn join this batch.
    setImmediate(() => {
      const batch = this.waiting.splice(0, BATCH_MAX);
      void this.commit(batch).finally(() => {
        this.busy = false;
        this.pump();
      });
    });
  }

  private async commit(batch: Request[]): Promise<void> {
    try {
      const outcomes = await this.db.transaction((tx) => this.claimAll(tx, batch));
      batch.forEach((r, i) => r.resolve(outcomes[i]));
    } catch (e) {
      if (batch.length === 1) return batch[0].reject(e);
      this.logger.warn(`a batch of ${batch.length} claims failed, claiming one by one: ${(e as Error).message}`);
      for (const r of batch) await this.db.transaction((tx) => this.claimAll(tx, [r])).then(([outcome]) => r.resolve(outcome), r.reject);
    }
  }

  /** The claims of a batch, in arrival order, inside one transaction. */
  private async claimAll(tx: Tx, batch: Request[]): Promise<Array<CaseRow | Refusal>> {
    const agentIds = [...new Set(batch.map((r) => r.agentId))].sort();
    const capacity = await this.claims.lockAgents(tx.manager, agentIds);
    const load = await this.claims.countLoads(tx.manager, agentIds);
    const outcomes: Array<CaseRow | Refusal | undefined> = Array.from({ length: batch.length }, () => undefined);
    const groups = new Map<string, number[]>();
    batch.forEach((r, i) => {
      const cap = capacity.get(r.agentId);
      if (cap === undefined) throw HubError.notFound('Agent', r.agentId);
      const held = load.get(r.agentId) ?? 0;
      if (held >= cap) return void (outcomes[i] = { refused: 'at capacity', load: held, capacity: cap });
      load.set(r.agentId, held + 1); // counted now, so the same agent's second claim in this batch sees it
      const key = r.departmentIds ? [...r.departmentIds].sort().join(',') : '*';
      groups.set(key, [...(groups.get(key) ?? []), i]);
    });
    for (const [key, indexes] of groups) {
      const departmentIds = key === '*' ? null : key ? key.split(',') : [];
      const rows = departmentIds?.length === 0 ? [] : await this.claims.claimManyOldestWaiting(tx.manager, indexes.map((i) => batch[i].agentId), departmentIds);
      for (const { position, ...row } of rows) outcomes[indexes[position - 1]] = row;
    }
    const claimed = outcomes.filter((o): o is CaseRow => !!o && !('refused' in o));
    await this.audit.recordMany(
      tx.manager,
      claimed.map((row) => ({ actorType: 'agent', actorId: row.assignee_id, action: 'case.claimed', subjectType: 'case', subjectId: row.id, details: { assigneeId: row.assignee_id } })),
    );
    for (const row of claimed) {
      tx.emit('case.assigned', { caseId: row.id, version: row.version, departmentId: row.department_id, assigneeId: row.assignee_id, previousAssigneeId: null, byAgentId: row.assignee_id, auto: false });
    }
    return outcomes.map((o) => o ?? { refused: 'nothing waiting' });
  }
}
