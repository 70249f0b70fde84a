import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import { Channel } from '../common/enum';
import { Tx } from '../database/db';
import { HubError } from '../common/errors';
import { IdentityRow, ResidentRepository, ResidentRow } from './resident.repository';

export interface ResolvedIdentity {
  residentId: string;
  identityId: string;
  created: boolean;
}

export interface ResidentWithIdentities {
  resident: ResidentRow;
  identities: IdentityRow[];
}

/** Thrown inside a unit of work when a concurrent transaction won a unique key: run the unit again. */
export class RetryUnit extends Error {
  override name = 'RetryUnit';
}

@Injectable()
export class ResidentsService {
  constructor(
    private readonly residents: ResidentRepository,
    private readonly audit: AuditService,
  ) {}

  async getIdentity(id: string): Promise<IdentityRow> {
    const row = await this.residents.findIdentityById(id);
    if (!row) throw HubError.notFound('Identity', id);
    return row;
  }

  /** The resident behind a channel address, created on first contact; locked until the transaction ends. */
  async resolveIdentity(tx: Tx, channel: Channel, address: string, name?: string): Promise<ResolvedIdentity> {
    const [resolved] = await this.resolveIdentities(tx, [{ channel, address, name }]);
    return resolved;
  }

  /**
   * resolveIdentity for every sender of an intake batch (one answer per sender, in order), in two to four
   * statements. Each identity stays locked until the transaction ends, so intake for one resident in concurrent
   * transactions queues up rather than racing; addresses are taken in one global order so that it cannot deadlock.
   *
   * A message from an address is the first proof of who holds it: an identity that was only typed into a form (a web
   * chat's pre-chat email or phone) goes to a new resident of its own here, as first contact would make, and is no
   * longer the typist's. A form never decides whose record a genuine message joins; staff merge by hand if the two
   * residents are one person.
   */
  async resolveIdentities(tx: Tx, senders: Array<{ channel: Channel; address: string; name?: string }>): Promise<ResolvedIdentity[]> {
    const wanted = new Map<string, { channel: Channel; address: string; names: string[] }>();
    for (const s of senders) {
      if (!wanted.has(identityKey(s))) wanted.set(identityKey(s), { channel: s.channel, address: s.address, names: [] });
      if (s.name) wanted.get(identityKey(s))!.names.push(s.name);
    }
    const ordered = [...wanted.keys()].sort().map((k) => wanted.get(k)!);
    const created = await this.residents.insertIdentitiesIfNew(tx.manager, ordered.map((w) => ({ channel: w.channel, address: w.address, name: w.names[0] ?? null })));
    const found = new Map(created.map((row) => [identityKey(row), { row, created: true }]));
    const existing = ordered.filter((w) => !found.has(identityKey(w)));
    if (existing.length) for (const row of await this.residents.lockIdentities(tx.manager, existing)) found.set(identityKey(row), { row, created: false });
    const typed = [...found.values()].filter((f) => f.row.typed_at).map((f) => f.row);
    if (typed.length) await this.takeTyped(tx, typed, found);

    const renames = [];
    for (const w of ordered) {
      const f = found.get(identityKey(w));
      if (!f) throw new RetryUnit(`identity ${w.channel}:${w.address} was neither created nor found`);
      const names = namesAfter(f.row.display_name, w.names);
      if (names) renames.push({ identityId: f.row.id, residentId: f.row.resident_id, ...names });
    }
    if (renames.length) await this.residents.setDisplayNames(tx.manager, renames);
    return senders.map((s) => {
      const f = found.get(identityKey(s))!;
      const result = { residentId: f.row.resident_id, identityId: f.row.id, created: f.created };
      f.created = false; // the sender's later messages found the identity their first one created
      return result;
    });
  }

  /**
   * Form-typed identities a message came from: each to a resident of its own (a first contact, as far as residents
   * go), audited, since the typist's record loses an address it showed.
   */
  private async takeTyped(tx: Tx, typed: IdentityRow[], found: Map<string, { row: IdentityRow; created: boolean }>): Promise<void> {
    const typist = new Map(typed.map((row) => [row.id, row.resident_id]));
    const moved = await this.residents.takeTypedIdentities(tx.manager, typed.map((row) => row.id));
    for (const row of moved) found.set(identityKey(row), { row, created: true });
    await this.audit.recordMany(
      tx.manager,
      moved.map((row) => ({
        actorType: 'system',
        action: 'identity.taken-by-sender',
        subjectType: 'identity',
        subjectId: row.id,
        details: { channel: row.channel, fromResidentId: typist.get(row.id), toResidentId: row.resident_id },
      })),
    );
  }

  /**
   * Addresses a resident gave about themselves (a web chat's pre-chat form): added unverified and marked typed. One
   * that already belongs to someone (typed by them or proven) stays theirs: an address typed into a form proves
   * nothing, so it never moves or merges anyone. A typed one stays only until a message comes from the address:
   * resolveIdentities then gives it to a resident of its own.
   */
  async addUnverifiedIdentities(tx: Tx, residentId: string, addresses: Array<{ channel: Channel; address: string }>): Promise<IdentityRow[]> {
    if (!addresses.length) return [];
    return this.residents.insertIdentitiesForResident(tx.manager, residentId, addresses);
  }

  /** The identity at this address, created if new and marked verified: a trusted party vouched for it (web chat identity verification). */
  async resolveVerifiedIdentity(tx: Tx, channel: Channel, address: string, name?: string): Promise<ResolvedIdentity> {
    const resolved = await this.resolveIdentity(tx, channel, address, name);
    await this.residents.markVerified(tx.manager, resolved.identityId);
    return resolved;
  }

  /** A resident and their identities (a merged-away resident too: its mergedIntoId says where it went). */
  async getWithIdentities(id: string): Promise<ResidentWithIdentities> {
    const resident = UUID.test(id) ? await this.residents.findResident(id) : undefined;
    if (!resident) throw HubError.notFound('Resident', id);
    return { resident, identities: await this.residents.listIdentities(id) };
  }

  /**
   * Folds `otherId` into `intoId` inside the caller's transaction: every identity of the other resident moves over
   * and the other is marked merged. Both rows are locked in id order, so two merges of the same pair cannot
   * deadlock or both succeed. The caller moves the cases in the same transaction.
   */
  async absorb(tx: Tx, intoId: string, otherId: string): Promise<{ identitiesMoved: number }> {
    if (intoId === otherId) throw HubError.validation('residentId: a resident cannot be merged into itself', { field: 'residentId' });
    const locked = new Map<string, ResidentRow | undefined>();
    for (const id of [intoId, otherId].sort()) locked.set(id, UUID.test(id) ? await this.residents.findResidentForUpdate(tx.manager, id) : undefined);
    const into = locked.get(intoId);
    const other = locked.get(otherId);
    if (!into) throw HubError.notFound('Resident', intoId);
    if (!other) throw HubError.notFound('Resident', otherId);
    if (into.merged_into_id) throw HubError.conflict(`Resident ${intoId} was already merged into ${into.merged_into_id}: merge into that one`, { field: 'id' });
    if (other.merged_into_id) throw HubError.conflict(`Resident ${otherId} was already merged into ${other.merged_into_id}`, { field: 'residentId' });
    const identitiesMoved = await this.residents.moveIdentities(tx.manager, otherId, intoId);
    await this.residents.markMerged(tx.manager, otherId, intoId);
    return { identitiesMoved };
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function identityKey(i: { channel: string; address: string }): string {
  return `${i.channel}\u0000${i.address}`;
}

/**
 * What a run of names does to an identity, message by message as resolveIdentity would: each name that differs
 * from the current one replaces it, and the first such name fills in the resident's name if it has none.
 */
function namesAfter(current: string | null, names: string[]): { displayName: string; residentName: string } | undefined {
  let displayName = current;
  let residentName: string | undefined;
  for (const name of names) {
    if (name === displayName) continue;
    residentName ??= name;
    displayName = name;
  }
  return residentName === undefined ? undefined : { displayName: displayName!, residentName };
}
