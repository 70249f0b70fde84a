import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';
import { AttachmentMeta } from '../channel-adapter';

const exactTime = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The case a visitor's widget shows, with what the widget needs to know about it. */
export interface ConversationCaseRow {
  id: string;
  reference: string;
  status: string;
  department_id: string;
  assignee_id: string | null;
  assignee_name: string | null;
  resident_id: string;
  resident_name: string | null;
  first_response_at: Date | null;
  agent_read_at: Date | null;
  resident_seen_at: Date | null;
  visitor_id: string | null;
}

export interface WidgetMessageRow {
  id: string;
  case_id: string;
  direction: 'inbound' | 'outbound';
  external_id: string | null;
  text: string;
  author_name: string | null;
  attachments: Array<AttachmentMeta & { id?: string }>;
  created_at: Date;
  delivery_status: string | null;
  updated_at_key: string;
}

export interface PushContext {
  sender_address: string | null;
  visitor_address: string | null;
  visitor_email: string | null;
  agent_read_at: Date | null;
}

/** Only what the resident may see: their messages and the agents' replies, never notes or system lines. */
const MESSAGE = `
  SELECT m.id, m.case_id, m.direction, m.external_id, m.text, ag.name AS author_name, m.attachments, m.created_at,
         m.delivery_status, ${exactTime('m.updated_at')} AS updated_at_key
  FROM message m LEFT JOIN agent ag ON ag.id = m.author_agent_id
  WHERE m.direction IN ('inbound', 'outbound')`;

const CONVERSATION = `
  SELECT c.id, c.reference, c.status, c.department_id, c.assignee_id, a.name AS assignee_name, c.resident_id,
         r.name AS resident_name, c.first_response_at, w.agent_read_at, w.resident_seen_at, w.visitor_id
  FROM "case" c JOIN resident r ON r.id = c.resident_id
  LEFT JOIN agent a ON a.id = c.assignee_id
  LEFT JOIN webchat_conversation w ON w.case_id = c.id`;

/**
 * The web chat's read side across the case tables: a visitor's conversation (always through their own identity, so
 * one visitor can never name another's case), its messages, queue position and wait.
 */
@Injectable()
export class WebchatReadRepository {
  constructor(private readonly db: Db) {}

  /** The newest web chat case of the resident behind this `webchat` address, on this inbox. */
  async conversationOf(address: string, inboxId: string): Promise<ConversationCaseRow | undefined> {
    const rows = await this.db.manager.query(
      `${CONVERSATION}
       WHERE c.id = (SELECT c2.id FROM identity i JOIN "case" c2 ON c2.resident_id = i.resident_id AND c2.inbox_id = $2
                     WHERE i.channel = 'webchat' AND i.address = $1 ORDER BY c2.created_at DESC, c2.id DESC LIMIT 1)`,
      [address, inboxId],
    );
    return rows[0];
  }

  async conversation(caseId: string): Promise<ConversationCaseRow | undefined> {
    const rows = await this.db.manager.query(`${CONVERSATION} WHERE c.id = $1 AND c.channel = 'webchat'`, [caseId]);
    return rows[0];
  }

  /** The newest `limit` messages of the case the resident may see, oldest first. */
  async messages(caseId: string, limit: number): Promise<WidgetMessageRow[]> {
    return this.db.manager.query(`SELECT * FROM (${MESSAGE} AND m.case_id = $1 ORDER BY m.created_at DESC, m.id DESC LIMIT $2) x ORDER BY created_at, id`, [caseId, limit]);
  }

  /** Messages of the case created or changed since `at` (less a margin for transactions in flight). */
  async messagesSince(caseId: string, at: string, limit: number): Promise<WidgetMessageRow[]> {
    return this.db.manager.query(
      `${MESSAGE} AND m.case_id = $1 AND m.updated_at > $2::timestamptz - interval '10 seconds' ORDER BY m.created_at, m.id LIMIT $3`,
      [caseId, at, limit],
    );
  }

  /**
   * A message with what its push needs, in one read: the `webchat` address it came from (a resident's), and the
   * conversation's visitor (address and email, for an agent's reply) and read mark.
   */
  async messageForPush(messageId: string): Promise<(WidgetMessageRow & PushContext) | undefined> {
    const rows = await this.db.manager.query(
      `SELECT x.*, si.address AS sender_address, v.address AS visitor_address, v.email AS visitor_email, w.agent_read_at
       FROM (${MESSAGE} AND m.id = $1) x
       JOIN message m ON m.id = x.id
       LEFT JOIN identity si ON si.id = m.identity_id
       LEFT JOIN webchat_conversation w ON w.case_id = x.case_id
       LEFT JOIN webchat_visitor v ON v.id = w.visitor_id`,
      [messageId],
    );
    return rows[0];
  }

  async message(messageId: string): Promise<WidgetMessageRow | undefined> {
    const rows = await this.db.manager.query(`${MESSAGE} AND m.id = $1`, [messageId]);
    return rows[0];
  }

  /** The resident's newest message on the case: what "the agent has read up to" names. */
  async lastInboundId(caseId: string): Promise<string | undefined> {
    const rows = await this.db.manager.query(`SELECT id FROM message WHERE case_id = $1 AND direction = 'inbound' ORDER BY created_at DESC, id DESC LIMIT 1`, [caseId]);
    return rows[0]?.id;
  }

  /** Agents' replies up to this message not yet marked read (for the `read` status). */
  async unreadRepliesUpTo(caseId: string, messageId: string, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db.manager.query(
      `SELECT id FROM message WHERE case_id = $1 AND direction = 'outbound' AND delivery_status IN ('sent', 'delivered')
         AND created_at <= (SELECT created_at FROM message WHERE id = $2)
       ORDER BY created_at DESC LIMIT $3`,
      [caseId, messageId, limit],
    );
    return rows.map((r) => r.id);
  }

  /**
   * Waiting web chat cases of a department with their place in its queue (everyone's unassigned cases, in the order
   * agents take them: priority, then age).
   */
  async queuePositions(departmentId: string, limit: number): Promise<Array<{ id: string; position: number }>> {
    const rows: Array<{ id: string; position: string }> = await this.db.manager.query(
      `SELECT id, position FROM (
         SELECT c.id, c.channel, row_number() OVER (ORDER BY c.priority_rank DESC, c.created_at, c.id) AS position
         FROM "case" c WHERE c.department_id = $1 AND c.assignee_id IS NULL AND c.status IN ('new', 'open')) q
       WHERE channel = 'webchat' ORDER BY position LIMIT $2`,
      [departmentId, limit],
    );
    return rows.map((r) => ({ id: r.id, position: Number(r.position) }));
  }

  /** The case's place in its department's queue, or null when it is not waiting (assigned, or no longer open). */
  async queuePosition(caseId: string): Promise<number | null> {
    const rows: Array<{ position: string }> = await this.db.manager.query(
      `SELECT count(c.id) + 1 AS position FROM "case" me LEFT JOIN "case" c ON c.department_id = me.department_id
         AND c.assignee_id IS NULL AND c.status IN ('new', 'open') AND c.id <> me.id
         AND (c.priority_rank > me.priority_rank OR (c.priority_rank = me.priority_rank AND (c.created_at, c.id) < (me.created_at, me.id)))
       WHERE me.id = $1 AND me.assignee_id IS NULL AND me.status IN ('new', 'open')
       GROUP BY me.id`,
      [caseId],
    );
    return rows.length ? Number(rows[0].position) : null;
  }

  /** Agents of the department available now. */
  async availableAgents(departmentId: string): Promise<number> {
    const rows = await this.db.manager.query(
      `SELECT count(*)::int AS n FROM agent a JOIN agent_department ad ON ad.agent_id = a.id
       WHERE ad.department_id = $1 AND a.active AND a.presence = 'available'`,
      [departmentId],
    );
    return rows[0].n;
  }

  /** Median seconds from a case's creation to its first answer, over the department's last 100 answered this week. */
  async medianFirstResponseSeconds(departmentId: string): Promise<number | null> {
    const rows = await this.db.manager.query(
      `SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY w) AS median FROM (
         SELECT extract(epoch FROM first_response_at - created_at) AS w FROM "case"
         WHERE department_id = $1 AND first_response_at IS NOT NULL AND first_response_at > now() - interval '7 days'
         ORDER BY first_response_at DESC LIMIT 100) x`,
      [departmentId],
    );
    return rows[0]?.median === null || rows[0]?.median === undefined ? null : Number(rows[0].median);
  }

  /** The case's channel, inbox and department: whether an event concerns the web chat at all. */
  async caseBasics(caseId: string): Promise<{ channel: string; inbox_id: string; department_id: string; assignee_id: string | null } | undefined> {
    const rows = await this.db.manager.query(`SELECT channel, inbox_id, department_id, assignee_id FROM "case" WHERE id = $1`, [caseId]);
    return rows[0];
  }

  async departmentsOf(agentId: string): Promise<string[]> {
    const rows: Array<{ department_id: string }> = await this.db.manager.query(`SELECT department_id FROM agent_department WHERE agent_id = $1`, [agentId]);
    return rows.map((r) => r.department_id);
  }

  /** Whether the case is one of the resident's behind this `webchat` address, on this inbox. */
  async isCaseOf(caseId: string, address: string, inboxId: string): Promise<boolean> {
    const rows = await this.db.manager.query(
      `SELECT 1 FROM "case" c JOIN identity i ON i.resident_id = c.resident_id AND i.channel = 'webchat' AND i.address = $2
       WHERE c.id = $1 AND c.inbox_id = $3`,
      [caseId, address, inboxId],
    );
    return rows.length > 0;
  }

  /** Whether a reply on the case carries the file (staff's uploads reach the resident only once sent). */
  async isSentOnCase(caseId: string, attachmentId: string): Promise<boolean> {
    const rows = await this.db.manager.query(
      `SELECT 1 FROM message WHERE case_id = $1 AND direction = 'outbound' AND attachments @> jsonb_build_array(jsonb_build_object('id', $2::text)) LIMIT 1`,
      [caseId, attachmentId],
    );
    return rows.length > 0;
  }

  async now(): Promise<string> {
    const rows = await this.db.manager.query(`SELECT ${exactTime('clock_timestamp()')} AS at`);
    return rows[0].at;
  }
}
