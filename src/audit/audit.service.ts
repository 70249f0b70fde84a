import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';

export interface AuditEntry {
  actorType: 'agent' | 'resident' | 'system';
  actorId?: string | null;
  action: string;
  subjectType: string;
  subjectId?: string | null;
  details?: Record<string, unknown>;
}

/** The append-only audit trail (the table refuses updates and deletes). Written inside the caller's transaction. */
@Injectable()
export class AuditService {
  async record(m: EntityManager, e: AuditEntry): Promise<void> {
    await m.query(
      `INSERT INTO audit_entry (actor_type, actor_id, action, subject_type, subject_id, details) VALUES ($1, $2, $3, $4, $5, $6)`,
      [e.actorType, e.actorId ?? null, e.action, e.subjectType, e.subjectId ?? null, e.details ?? {}],
    );
  }

  /** Several entries in one statement (a batch of claims), in order. */
  async recordMany(m: EntityManager, entries: AuditEntry[]): Promise<void> {
    if (!entries.length) return;
    const column = <T>(pick: (e: AuditEntry) => T) => entries.map(pick);
    await m.query(
      `INSERT INTO audit_entry (actor_type, actor_id, action, subject_type, subject_id, details)
       SELECT actor_type, actor_id, action, subject_type, subject_id, details::jsonb
       FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::uuid[], $6::text[]) WITH ORDINALITY
            AS v(actor_type, actor_id, action, subject_type, subject_id, details, ord)
       ORDER BY ord`,
      [
        column((e) => e.actorType),
        column((e) => e.actorId ?? null),
        column((e) => e.action),
        column((e) => e.subjectType),
        column((e) => e.subjectId ?? null),
        column((e) => JSON.stringify(e.details ?? {})),
      ],
    );
  }

  async listFor(m: EntityManager, subjectType: string, subjectId: string): Promise<Array<Record<string, unknown>>> {
    return m.query(`SELECT * FROM audit_entry WHERE subject_type = $1 AND subject_id = $2 ORDER BY id`, [subjectType, subjectId]);
  }
}
