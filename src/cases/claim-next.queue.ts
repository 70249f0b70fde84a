import { Injectable, Logger } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { AuditService } from '../audit/audit.service';
import { HubError } from '../common/errors';
import { Env } from '../config/env';
import { Db, Tx } from '../database/db';
import { PendingEvent } from '../events/hub-events';
import { CaseClaimRepository } from './case-claim.repository';
import { CaseRow } from './case.repository';
import { GroupQueue } from '../common/batch-loader';

/** Why a claim of the next waiting case gave nothing. */
export type Refusal = { refused: 'nothing waiting' } | { refused: 'at capacity'; load: number; capacity: number };

/**
 * How the caller will show the cases it claimed, read inside the claim's transaction: the answer then needs no read
 * after commit, when every listener of `case.assigned` (pushes, SLA clocks, web chat…) starts its own reads at once
 * and a read for the acks would queue behind them. One call per batch for all the claims that asked with it.
 */
export type ClaimedView<V> = (m: EntityManager, caseIds: string[]) => Promise<Map<string, V>>;

/** A claimed case, with its view when one was asked for. */
export type Claimed<V = never> = CaseRow & { view?: V };

/** Most claims committed together. */
const BATCH_MAX = 256;
/** Most claim batches in flight at once; never more than the pool can hold beside the rest of the hub's work. */
const IN_FLIGHT_MAX = 4;

interface Request {
  agentId: string;
  /** null: every department (admins). */
  departmentIds: string[] | null;
  view?: ClaimedView<unknown>;
  resolve(outcome: Claimed<unknown> | Refusal): void;
  reject(e: unknown): void;
}

/**
 * claim-next with group commit, pipelined. A claim is a short transaction, and when many agents press "next" at once
 * (a morning rush, 200 agents racing) each waiting for its own commit makes the last one wait for all the others.
 * Here the claims read in one turn of the event loop go together in one transaction: the agents' rows are locked
 * (in id order) and their loads counted once, each department set's waiting cases are taken in queue order with
 * FOR UPDATE SKIP LOCKED and handed out in the order the claims arrived, in one statement.
 *
 * Several batches are in flight at once (IN_FLIGHT_MAX, on their own pool connections). A burst of claims does not
 * arrive in one turn: its sockets are read over several milliseconds. With one batch at a time, the first claim
 * went alone and everyone read after it waited for its commit, then for their own (two commits in a row on the
 * critical path, measured at 10–35 ms each under load). Concurrent batches are safe: SKIP LOCKED gives them
 * disjoint cases, and an agent in two batches is counted under their row lock (taken in id order, so no cycle).
 * A failing batch is retried claim by claim, so one bad claim cannot sink the others.
 */
@Injectable()
export class ClaimNextQueue {
  private readonly logger = new Logger('ClaimNext');
  private readonly batches: GroupQueue<Request>;

  constructor(
    private readonly db: Db,
    private readonly claims: CaseClaimRepository,
    private readonly audit: AuditService,
    env: Env,
  ) {
    // The embedded database has one connection and runs one transaction at a time: one batch after another there.
    const inFlightMax = env.DATABASE_URL ? Math.max(1, Math.min(IN_FLIGHT_MAX, env.DATABASE_POOL_SIZE - 2)) : 1;
    // Claims read from other sockets in the same turn join one batch; claims read meanwhile start the next batch
    // without waiting for this one's commit.
    this.batches = new GroupQueue((batch) => this.commit(batch), { maxGroup: BATCH_MAX, maxRunning: inFlightMax });
  }

  claim<V = never>(agentId: string, departmentIds: string[] | null, view?: ClaimedView<V>): Promise<Claimed<V> | Refusal> {
    return new Promise<Claimed<V> | Refusal>((resolve, reject) => {
      this.batches.push({ agentId, departmentIds, view, resolve: resolve as Request['resolve'], reject });
    });
  }

  private async commit(batch: Request[]): Promise<void> {
    try {
      const events: PendingEvent[] = [];
      const outcomes = await this.db.rawTransaction((manager) => this.claimAll({ manager, emit: (name, payload) => void events.push({ name, payload } as PendingEvent) }, batch));
      batch.forEach((r, i) => r.resolve(outcomes[i]));
      // The answers first, then the news (as Db.transaction would, but a turn later): the acks are written in the
      // microtasks that follow, before the listeners of 200 `case.assigned` start their reads and chains.
      setImmediate(() => this.db.publish(events));
    } catch (e) {
      if (batch.length === 1) return batch[0].reject(e);
      this.logger.warn(`a batch of ${batch.length} claims failed, claiming one by one: ${(e as Error).message}`);
      for (const r of batch) await this.db.transaction((tx) => this.claimAll(tx, [r])).then(([outcome]) => r.resolve(outcome), r.reject);
    }
  }

  /** The claims of a batch, in arrival order, inside one transaction. */
  private async claimAll(tx: Tx, batch: Request[]): Promise<Array<Claimed<unknown> | Refusal>> {
    const agentIds = [...new Set(batch.map((r) => r.agentId))].sort();
    const capacity = await this.claims.lockAgents(tx.manager, agentIds);
    const load = await this.claims.countLoads(tx.manager, agentIds);
    for (const r of batch) if (!capacity.has(r.agentId)) throw HubError.notFound('Agent', r.agentId);
    const outcomes: Array<CaseRow | Refusal | undefined> = Array.from({ length: batch.length }, () => undefined);
    let pending = batch.map((_, i) => i);
    // A claim that finds nothing waiting gives its place back, so an agent's claim refused at capacity behind it (the
    // same agent pressing "next" for two departments at once) is tried again in another pass.
    while (pending.length) {
      const { groups, refused } = this.admit(batch, pending, capacity, load);
      for (const [key, indexes] of groups) {
        const departmentIds = key === '*' ? null : key ? key.split(',') : [];
        const rows = departmentIds?.length === 0 ? [] : await this.claims.claimManyOldestWaiting(tx.manager, indexes.map((i) => batch[i].agentId), departmentIds);
        for (const { position, ...row } of rows) {
          outcomes[indexes[position - 1]] = row;
          load.set(row.assignee_id!, (load.get(row.assignee_id!) ?? 0) + 1);
        }
      }
      pending = [];
      for (const i of refused) {
        const [held, cap] = [load.get(batch[i].agentId) ?? 0, capacity.get(batch[i].agentId)!];
        if (held < cap) pending.push(i);
        else outcomes[i] = { refused: 'at capacity', load: held, capacity: cap };
      }
    }
    const claimed = outcomes.filter((o): o is CaseRow => !!o && !('refused' in o));
    await this.audit.recordMany(
      tx.manager,
      claimed.map((row) => ({ actorType: 'agent', actorId: row.assignee_id, action: 'case.claimed', subjectType: 'case', subjectId: row.id, details: { assigneeId: row.assignee_id } })),
    );
    for (const row of claimed) {
      tx.emit('case.assigned', { caseId: row.id, version: row.version, departmentId: row.department_id, assigneeId: row.assignee_id, previousAssigneeId: null, byAgentId: row.assignee_id, auto: false });
    }
    const views = await this.readViews(tx, batch, outcomes);
    return outcomes.map((o, i) => {
      if (!o) return { refused: 'nothing waiting' };
      const view = batch[i].view;
      return 'refused' in o || !view ? o : { ...o, view: views.get(view)?.get(o.id) };
    });
  }

  /**
   * One pass's claims that fit their agent's capacity, counting the claims before them in the pass, grouped by the
   * departments they claim from; the others are refused for now.
   */
  private admit(batch: Request[], pending: number[], capacity: Map<string, number>, load: Map<string, number>): { groups: Map<string, number[]>; refused: number[] } {
    const taken = new Map(load);
    const groups = new Map<string, number[]>();
    const refused: number[] = [];
    for (const i of pending) {
      const r = batch[i];
      const held = taken.get(r.agentId) ?? 0;
      if (held >= capacity.get(r.agentId)!) {
        refused.push(i);
        continue;
      }
      taken.set(r.agentId, held + 1);
      const key = r.departmentIds ? [...r.departmentIds].sort().join(',') : '*';
      groups.set(key, [...(groups.get(key) ?? []), i]);
    }
    return { groups, refused };
  }

  /** The views asked for, one read per view for all the cases claimed with it. */
  private async readViews(tx: Tx, batch: Request[], outcomes: Array<CaseRow | Refusal | undefined>): Promise<Map<ClaimedView<unknown>, Map<string, unknown>>> {
    const wanted = new Map<ClaimedView<unknown>, string[]>();
    batch.forEach((r, i) => {
      const o = outcomes[i];
      if (r.view && o && !('refused' in o)) wanted.set(r.view, [...(wanted.get(r.view) ?? []), o.id]);
    });
    const read = new Map<ClaimedView<unknown>, Map<string, unknown>>();
    for (const [view, caseIds] of wanted) read.set(view, await view(tx.manager, caseIds));
    return read;
  }
}
