import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Db } from '../database/db';

export interface AttachmentRow {
  id: string;
  case_id: string | null;
  source: string;
  filename: string;
  content_type: string;
  size: number;
  created_at: Date;
}

export interface NewAttachment {
  source: string;
  filename: string;
  contentType: string;
  bytes: Buffer;
  sha256: string;
}

const COLUMNS = 'id, case_id, source, filename, content_type, size, created_at';

@Injectable()
export class AttachmentRepository {
  constructor(private readonly db: Db) {}

  async insert(a: NewAttachment): Promise<AttachmentRow> {
    const rows: AttachmentRow[] = await this.db.manager.query(
      `INSERT INTO attachment (source, filename, content_type, size, sha256, bytes)
       VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${COLUMNS}`,
      [a.source, a.filename, a.contentType, a.bytes.length, a.sha256, a.bytes],
    );
    return rows[0];
  }

  /** Links the still-unlinked ones among `ids` that came from `source`; returns those linked. */
  async link(m: EntityManager, ids: string[], caseId: string, source?: string): Promise<AttachmentRow[]> {
    if (!ids.length) return [];
    // UPDATE … RETURNING answers [rows, affected] through TypeORM's postgres driver.
    const [rows] = await m.query(
      `UPDATE attachment SET case_id = $2
        WHERE id = ANY($1::uuid[]) AND case_id IS NULL AND ($3::text IS NULL OR source = $3)
        RETURNING ${COLUMNS}`,
      [ids, caseId, source ?? null],
    );
    return rows;
  }

  async find(id: string): Promise<AttachmentRow | undefined> {
    const rows: AttachmentRow[] = await this.db.manager.query(`SELECT ${COLUMNS} FROM attachment WHERE id = $1`, [id]);
    return rows[0];
  }

  async findMany(ids: string[]): Promise<AttachmentRow[]> {
    if (!ids.length) return [];
    return this.db.manager.query(`SELECT ${COLUMNS} FROM attachment WHERE id = ANY($1::uuid[])`, [ids]);
  }

  async bytes(id: string): Promise<Buffer | undefined> {
    const rows: Array<{ bytes: Buffer }> = await this.db.manager.query(`SELECT bytes FROM attachment WHERE id = $1`, [id]);
    return rows[0]?.bytes;
  }

  async deleteUnlinkedBefore(before: Date): Promise<number> {
    const [, affected] = await this.db.manager.query(`DELETE FROM attachment WHERE case_id IS NULL AND created_at < $1`, [before]);
    return affected;
  }
}
