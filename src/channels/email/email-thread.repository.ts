import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';

export interface EmailFacts {
  messageId: string;
  headerMessageId?: string;
  inReplyTo: string[];
  references: string[];
  html?: string;
  size: number;
}

export interface CaseThread {
  reference: string;
  subject: string | null;
  /** Message-IDs on the case, oldest first: inbound ones' and ours. */
  messageIds: string[];
  /** The resident's latest Message-ID: what a reply answers. */
  lastInboundMessageId?: string;
}

/** The email channel's queries: which case a Message-ID or reference belongs to, and its own email_message table. */
@Injectable()
export class EmailThreadRepository {
  constructor(private readonly db: Db) {}

  /**
   * The cases on this inbox that stored messages carry: a resident's Message-ID (inbound external id), ours
   * (outbound provider id) or our message row id. Answers id → case id.
   */
  async findCasesByMessageIds(inboxId: string, messageIds: string[], rowIds: string[]): Promise<Map<string, string>> {
    if (!messageIds.length && !rowIds.length) return new Map();
    const rows: Array<{ key: string; case_id: string }> = await this.db.manager.query(
      `SELECT coalesce(CASE WHEN m.external_id = ANY($2::text[]) THEN m.external_id END,
                       CASE WHEN m.provider_message_id = ANY($2::text[]) THEN m.provider_message_id END,
                       m.id::text) AS key, m.case_id
       FROM message m JOIN "case" c ON c.id = m.case_id
       WHERE c.inbox_id = $1 AND m.channel = 'email'
         AND (m.external_id = ANY($2::text[]) OR m.provider_message_id = ANY($2::text[]) OR m.id = ANY($3::uuid[]))`,
      [inboxId, messageIds, rowIds],
    );
    return new Map(rows.map((r) => [r.key, r.case_id]));
  }

  /**
   * The case with this reference on this inbox, only if the sender already wrote on it from this address: a
   * reference is sequential and guessable, so it alone must not let anyone write into somebody's case.
   */
  async findCaseByReference(inboxId: string, reference: string, senderAddress: string): Promise<string | undefined> {
    const rows = await this.db.manager.query(
      `SELECT c.id FROM "case" c
       WHERE c.reference = $1 AND c.inbox_id = $2
         AND EXISTS (SELECT 1 FROM message m JOIN identity i ON i.id = m.identity_id
                     WHERE m.case_id = c.id AND m.direction = 'inbound' AND i.channel = 'email' AND i.address = $3)`,
      [reference, inboxId, senderAddress],
    );
    return rows[0]?.id;
  }

  /** Idempotent: a repeat of a stored message (a sender's retry) changes nothing. */
  async recordEmail(facts: EmailFacts): Promise<void> {
    await this.db.manager.query(
      `INSERT INTO email_message (message_id, header_message_id, in_reply_to, "references", html, size_bytes)
       VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (message_id) DO NOTHING`,
      [facts.messageId, facts.headerMessageId ?? null, facts.inReplyTo, facts.references, facts.html ?? null, facts.size],
    );
  }

  async findEmail(messageId: string): Promise<(EmailFacts & { html: string | null }) | undefined> {
    const rows = await this.db.manager.query(
      `SELECT message_id AS "messageId", header_message_id AS "headerMessageId", in_reply_to AS "inReplyTo", "references", html, size_bytes AS size
       FROM email_message WHERE message_id = $1`,
      [messageId],
    );
    return rows[0];
  }

  /** Whether this inbound message is the first on its case (the case was opened by it). */
  async isFirstInbound(caseId: string, messageId: string): Promise<boolean> {
    const rows = await this.db.manager.query(
      `SELECT id FROM message WHERE case_id = $1 AND direction = 'inbound' ORDER BY created_at, id LIMIT 1`,
      [caseId],
    );
    return rows[0]?.id === messageId;
  }

  /** Whether the hub acknowledged mail from this address (any case, any inbox) since `since`: one per sender per window. */
  async acknowledgedSince(address: string, since: Date): Promise<boolean> {
    const rows = await this.db.manager.query(
      `SELECT 1 FROM message m
       WHERE m.channel = 'email' AND m.direction = 'outbound' AND m.author_agent_id IS NULL AND m.created_at > $2
         AND m.case_id IN (SELECT c.id FROM "case" c JOIN identity i ON i.resident_id = c.resident_id WHERE i.channel = 'email' AND i.address = $1)
       LIMIT 1`,
      [address, since],
    );
    return rows.length > 0;
  }

  /** True for an outbound message no agent wrote (an acknowledgement): it leaves with Auto-Submitted. */
  async isAutomatic(messageId: string): Promise<boolean> {
    const rows = await this.db.manager.query(`SELECT author_agent_id FROM message WHERE id = $1 AND direction = 'outbound'`, [messageId]);
    return rows.length > 0 && rows[0].author_agent_id === null;
  }

  async threadOf(caseId: string): Promise<CaseThread | undefined> {
    const [kase] = await this.db.manager.query(`SELECT reference, subject FROM "case" WHERE id = $1`, [caseId]);
    if (!kase) return undefined;
    const rows: Array<{ mid: string; direction: string }> = await this.db.manager.query(
      `SELECT CASE WHEN direction = 'inbound' THEN external_id ELSE provider_message_id END AS mid, direction
       FROM message
       WHERE case_id = $1 AND channel = 'email'
         AND ((direction = 'inbound' AND external_id IS NOT NULL AND external_id NOT LIKE 'hash:%')
              OR (direction = 'outbound' AND provider_message_id IS NOT NULL))
       ORDER BY created_at, id`,
      [caseId],
    );
    const lastInbound = [...rows].reverse().find((r) => r.direction === 'inbound');
    return { reference: kase.reference, subject: kase.subject, messageIds: rows.map((r) => r.mid), lastInboundMessageId: lastInbound?.mid };
  }
}
