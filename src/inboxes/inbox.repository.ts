import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Channel } from '../common/enum';
import { Db } from '../database/db';

export interface InboxRow {
  id: string;
  channel: Channel;
  name: string;
  address: string | null;
  department_id: string;
  secret: string;
  settings: Record<string, unknown>;
  created_at: Date;
}

const COLUMNS = 'id, channel, name, address, department_id, secret, settings, created_at';

@Injectable()
export class InboxRepository {
  constructor(private readonly db: Db) {}

  async findByTokenHash(tokenHash: string): Promise<InboxRow | undefined> {
    const rows = await this.db.manager.query(`SELECT ${COLUMNS} FROM inbox WHERE token_hash = $1`, [tokenHash]);
    return rows[0];
  }

  async findById(id: string, m: EntityManager = this.db.manager): Promise<InboxRow | undefined> {
    const rows = await m.query(`SELECT ${COLUMNS} FROM inbox WHERE id = $1`, [id]);
    return rows[0];
  }

  async findByAddress(channel: Channel, address: string): Promise<InboxRow | undefined> {
    const rows = await this.db.manager.query(`SELECT ${COLUMNS} FROM inbox WHERE channel = $1 AND address = $2`, [channel, address]);
    return rows[0];
  }

  async list(): Promise<InboxRow[]> {
    return this.db.manager.query(`SELECT ${COLUMNS} FROM inbox ORDER BY name`);
  }

  /** Replaces the inbox's token; the old one stops working. False when the inbox does not exist. */
  async updateTokenHash(m: EntityManager, id: string, tokenHash: string): Promise<boolean> {
    const rows = await m.query(`UPDATE inbox SET token_hash = $2 WHERE id = $1 RETURNING id`, [id, tokenHash]);
    return rows.length > 0;
  }

  async insert(
    m: EntityManager,
    row: { channel: Channel; name: string; address: string | null; departmentId: string; tokenHash: string; secret: string; settings: Record<string, unknown> },
  ): Promise<InboxRow> {
    const rows = await m.query(
      `INSERT INTO inbox (channel, name, address, department_id, token_hash, secret, settings)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${COLUMNS}`,
      [row.channel, row.name, row.address, row.departmentId, row.tokenHash, row.secret, row.settings],
    );
    return rows[0];
  }
}
