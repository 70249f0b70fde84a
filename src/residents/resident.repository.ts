import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Channel } from '../common/enum';
import { Db } from '../database/db';

export interface IdentityRow {
  id: string;
  resident_id: string;
  channel: Channel;
  address: string;
  display_name: string | null;
  verified: boolean;
  created_at: Date;
  /** The resident's last message from this identity, kept by the channels with a reply window (WhatsApp). */
  last_inbound_at?: Date | null;
  /** Set while the address was only typed into a form (web chat pre-chat), never proven by a message from it. */
  typed_at?: Date | null;
}

export interface ResidentRow {
  id: string;
  name: string | null;
  merged_into_id: string | null;
  created_at: Date;
  updated_at: Date;
}

@Injectable()
export class ResidentRepository {
  constructor(private readonly db: Db) {}

  async findIdentityById(id: string): Promise<IdentityRow | undefined> {
    const rows = await this.db.manager.query(`SELECT * FROM identity WHERE id = $1`, [id]);
    return rows[0];
  }

  /**
   * Creates the identities at these addresses that do not exist yet, each with a resident of its own, in one
   * statement and in the order given; returns those it created. One that exists, or that another transaction is
   * creating (waited for), is left out: the caller locks it with lockIdentities. Callers pass addresses in one
   * global order, so that concurrent batches cannot deadlock.
   */
  async insertIdentitiesIfNew(m: EntityManager, rows: Array<{ channel: Channel; address: string; name: string | null }>): Promise<IdentityRow[]> {
    return m.query(
      `WITH v AS (SELECT * FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS v(channel, address, name, ord)),
       i AS (INSERT INTO identity (resident_id, channel, address, display_name)
             SELECT gen_random_uuid(), channel, address, name FROM v ORDER BY ord
             ON CONFLICT (channel, address) DO NOTHING
             RETURNING *),
       r AS (INSERT INTO resident (id, name) SELECT resident_id, display_name FROM i)
       SELECT * FROM i`,
      [rows.map((r) => r.channel), rows.map((r) => r.address), rows.map((r) => r.name)],
    );
  }

  /** The identities at these addresses, locked until the caller's transaction ends, in the order given. */
  async lockIdentities(m: EntityManager, keys: Array<{ channel: Channel; address: string }>): Promise<IdentityRow[]> {
    return m.query(
      `SELECT i.* FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS v(channel, address, ord)
       JOIN identity i ON i.channel = v.channel AND i.address = v.address
       ORDER BY v.ord
       FOR NO KEY UPDATE OF i`,
      [keys.map((k) => k.channel), keys.map((k) => k.address)],
    );
  }

  /** New display names for identities, in one statement; a resident's name is filled in only where it has none. */
  async setDisplayNames(m: EntityManager, rows: Array<{ identityId: string; residentId: string; displayName: string; residentName: string }>): Promise<void> {
    await m.query(
      `WITH v AS (SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[]) AS v(identity_id, resident_id, display_name, resident_name)),
       i AS (UPDATE identity SET display_name = v.display_name FROM v WHERE identity.id = v.identity_id)
       UPDATE resident SET name = v.resident_name, updated_at = now() FROM v WHERE resident.id = v.resident_id AND resident.name IS NULL`,
      [rows.map((r) => r.identityId), rows.map((r) => r.residentId), rows.map((r) => r.displayName), rows.map((r) => r.residentName)],
    );
  }

  /**
   * Adds addresses typed into a form to a resident: unverified and marked typed (typed_at); one already held by anyone
   * is left where it is. Returns those added.
   */
  async insertIdentitiesForResident(m: EntityManager, residentId: string, rows: Array<{ channel: Channel; address: string }>): Promise<IdentityRow[]> {
    return m.query(
      `INSERT INTO identity (resident_id, channel, address, typed_at)
       SELECT $1, channel, address, now() FROM unnest($2::text[], $3::text[]) AS v(channel, address)
       ON CONFLICT (channel, address) DO NOTHING RETURNING *`,
      [residentId, rows.map((r) => r.channel), rows.map((r) => r.address)],
    );
  }

  /**
   * Moves these form-typed identities (locked by the caller) each to a new resident of its own, unnamed, with the
   * typed mark and the display name cleared, in one statement; returns the moved rows. One no longer typed is left.
   */
  async takeTypedIdentities(m: EntityManager, identityIds: string[]): Promise<IdentityRow[]> {
    return m.query(
      `WITH i AS (UPDATE identity SET resident_id = gen_random_uuid(), typed_at = NULL, display_name = NULL
                  WHERE id = ANY($1::uuid[]) AND typed_at IS NOT NULL
                  RETURNING *),
       r AS (INSERT INTO resident (id) SELECT resident_id FROM i)
       SELECT * FROM i`,
      [identityIds],
    );
  }

  async markVerified(m: EntityManager, identityId: string): Promise<void> {
    await m.query(`UPDATE identity SET verified = true WHERE id = $1 AND NOT verified`, [identityId]);
  }

  async findResident(id: string, m: EntityManager = this.db.manager): Promise<ResidentRow | undefined> {
    const rows = await m.query(`SELECT * FROM resident WHERE id = $1`, [id]);
    return rows[0];
  }

  async findResidentForUpdate(m: EntityManager, id: string): Promise<ResidentRow | undefined> {
    const rows = await m.query(`SELECT * FROM resident WHERE id = $1 FOR UPDATE`, [id]);
    return rows[0];
  }

  async listIdentities(residentId: string, m: EntityManager = this.db.manager): Promise<IdentityRow[]> {
    return m.query(`SELECT * FROM identity WHERE resident_id = $1 ORDER BY created_at`, [residentId]);
  }

  async moveIdentities(m: EntityManager, fromResidentId: string, toResidentId: string): Promise<number> {
    const [, count] = await m.query(`UPDATE identity SET resident_id = $2 WHERE resident_id = $1`, [fromResidentId, toResidentId]);
    return count;
  }

  async markMerged(m: EntityManager, residentId: string, intoId: string): Promise<void> {
    await m.query(`UPDATE resident SET merged_into_id = $2, updated_at = now() WHERE id = $1`, [residentId, intoId]);
  }
}
