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

  async findIdentity(m: EntityManager, channel: Channel, address: string): Promise<IdentityRow | undefined> {
    const rows = await m.query(`SELECT * FROM identity WHERE channel = $1 AND address = $2`, [channel, address]);
    return rows[0];
  }

  async findIdentityById(id: string): Promise<IdentityRow | undefined> {
    const rows = await this.db.manager.query(`SELECT * FROM identity WHERE id = $1`, [id]);
    return rows[0];
  }

  /**
   * Creates a resident and their first identity in one statement. Returns undefined when another transaction
   * created the identity first (the unique key decides; the caller retries and finds it).
   */
  async insertResidentWithIdentity(m: EntityManager, channel: Channel, address: string, name: string | null): Promise<IdentityRow | undefined> {
    const rows = await m.query(
      `WITH r AS (INSERT INTO resident (name) VALUES ($3) RETURNING id)
       INSERT INTO identity (resident_id, channel, address, display_name)
       SELECT r.id, $1, $2, $3 FROM r
       ON CONFLICT (channel, address) DO NOTHING
       RETURNING *`,
      [channel, address, name],
    );
    return rows[0];
  }

  async setDisplayName(m: EntityManager, identityId: string, residentId: string, name: string): Promise<void> {
    await m.query(`UPDATE identity SET display_name = $2 WHERE id = $1`, [identityId, name]);
    await m.query(`UPDATE resident SET name = $2, updated_at = now() WHERE id = $1 AND name IS NULL`, [residentId, name]);
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
