import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Db } from '../../database/db';

export interface VisitorRow {
  id: string;
  inbox_id: string;
  address: string;
  verified: boolean;
  name: string | null;
  email: string | null;
  phone: string | null;
  service_id: string | null;
  prechat_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

export interface ConversationRow {
  case_id: string;
  visitor_id: string;
  prechat_posted_at: Date | null;
  agent_read_at: Date | null;
  resident_seen_at: Date | null;
  ended_at: Date | null;
  transcript_sent_at: Date | null;
  created_at: Date;
}

/** The web chat's own tables: its visitors and its state of each conversation. */
@Injectable()
export class WebchatVisitorRepository {
  constructor(private readonly db: Db) {}

  async find(id: string, m: EntityManager = this.db.manager): Promise<VisitorRow | undefined> {
    const rows = await m.query(`SELECT * FROM webchat_visitor WHERE id = $1`, [id]);
    return rows[0];
  }

  /** The visitor, created on first use (a pre-chat form, a first message) with its anonymous address. */
  async ensure(m: EntityManager, v: { id: string; inboxId: string; address: string }): Promise<VisitorRow> {
    await m.query(`INSERT INTO webchat_visitor (id, inbox_id, address) VALUES ($1, $2, $3) ON CONFLICT (id) DO NOTHING`, [v.id, v.inboxId, v.address]);
    return (await this.find(v.id, m))!;
  }

  /**
   * The visitor of a resident the council's site vouched for (identity verification): created, or this same resident's
   * visitor renewed (a name or email given now replaces the kept one). Never another's: an anonymous visitor's row
   * (their pre-chat answers) or another resident's is not taken over, and asking for it is a bug of the caller.
   */
  async verify(m: EntityManager, v: { id: string; inboxId: string; address: string; name: string | null; email: string | null }): Promise<VisitorRow> {
    const rows = await m.query(
      `INSERT INTO webchat_visitor (id, inbox_id, address, verified, name, email) VALUES ($1, $2, $3, true, $4, $5)
       ON CONFLICT (id) DO UPDATE SET name = coalesce($4, webchat_visitor.name), email = coalesce($5, webchat_visitor.email), updated_at = now()
         WHERE webchat_visitor.verified AND webchat_visitor.address = $3
       RETURNING *`,
      [v.id, v.inboxId, v.address, v.name, v.email],
    );
    if (!rows[0]) throw new Error(`web chat visitor ${v.id} is not ${v.address}'s own visitor`);
    return rows[0];
  }

  /** The pre-chat answers, once: a second form changes nothing (undefined). */
  async savePrechat(m: EntityManager, id: string, p: { name: string; email: string | null; phone: string | null; serviceId: string | null }): Promise<VisitorRow | undefined> {
    const [rows] = await m.query(
      `UPDATE webchat_visitor SET name = $2, email = coalesce($3, email), phone = $4, service_id = $5, prechat_at = now(), updated_at = now()
       WHERE id = $1 AND prechat_at IS NULL RETURNING *`,
      [id, p.name, p.email, p.phone, p.serviceId],
    );
    return rows[0];
  }

  async findConversation(caseId: string, m: EntityManager = this.db.manager): Promise<ConversationRow | undefined> {
    const rows = await m.query(`SELECT * FROM webchat_conversation WHERE case_id = $1`, [caseId]);
    return rows[0];
  }

  /** The case is now this visitor's conversation (the first to write on it keeps it). */
  async ensureConversation(m: EntityManager, caseId: string, visitorId: string): Promise<ConversationRow> {
    await m.query(`INSERT INTO webchat_conversation (case_id, visitor_id) VALUES ($1, $2) ON CONFLICT (case_id) DO NOTHING`, [caseId, visitorId]);
    return (await this.findConversation(caseId, m))!;
  }

  /** Claims the posting of the pre-chat answers on this case: true once. */
  async markPrechatPosted(m: EntityManager, caseId: string): Promise<boolean> {
    const [rows] = await m.query(`UPDATE webchat_conversation SET prechat_posted_at = now() WHERE case_id = $1 AND prechat_posted_at IS NULL RETURNING case_id`, [caseId]);
    return rows.length > 0;
  }

  /**
   * The agent has read the resident's messages up to now: true if that is news (something was unread). Nothing is
   * written when all was read already (every reply of a conversation asks).
   */
  async markAgentRead(caseId: string): Promise<boolean> {
    const [rows] = await this.db.manager.query(
      `UPDATE webchat_conversation SET agent_read_at = now() WHERE case_id = $1
         AND EXISTS (SELECT 1 FROM message m WHERE m.case_id = $1 AND m.direction = 'inbound' AND m.created_at > coalesce(agent_read_at, '-infinity'))
       RETURNING case_id`,
      [caseId],
    );
    return rows.length > 0;
  }

  /** The resident has seen the conversation up to this message (its exact time, microseconds); never goes back. */
  async markResidentSeen(caseId: string, messageId: string): Promise<void> {
    await this.db.manager.query(
      `UPDATE webchat_conversation SET resident_seen_at = greatest(coalesce(resident_seen_at, '-infinity'), (SELECT created_at FROM message WHERE id = $2))
       WHERE case_id = $1`,
      [caseId, messageId],
    );
  }

  /** Whether the resident's seen mark covers this message (it was created no later than what they have seen). */
  async residentHasSeen(messageId: string): Promise<boolean> {
    const rows = await this.db.manager.query(
      `SELECT 1 FROM message m JOIN webchat_conversation w ON w.case_id = m.case_id WHERE m.id = $1 AND w.resident_seen_at >= m.created_at`,
      [messageId],
    );
    return rows.length > 0;
  }

  async markEnded(caseId: string): Promise<void> {
    await this.db.manager.query(`UPDATE webchat_conversation SET ended_at = now() WHERE case_id = $1`, [caseId]);
  }

  /** Claims the sending of the transcript: true once per conversation. */
  async markTranscriptSent(m: EntityManager, caseId: string): Promise<boolean> {
    const [rows] = await m.query(`UPDATE webchat_conversation SET transcript_sent_at = now() WHERE case_id = $1 AND transcript_sent_at IS NULL RETURNING case_id`, [caseId]);
    return rows.length > 0;
  }
}
