import { Injectable } from '@nestjs/common';
import { Db } from '../../database/db';

/** Slack's own bookkeeping: events already handled, and each mirrored case's thread. */
@Injectable()
export class SlackRepository {
  constructor(private readonly db: Db) {}

  async isEventSeen(eventId: string): Promise<boolean> {
    const rows = await this.db.manager.query(`SELECT 1 FROM slack_event WHERE event_id = $1`, [eventId]);
    return rows.length > 0;
  }

  /** True when this call recorded the event (the first delivery); false when it was already there. */
  async claimEvent(eventId: string, teamId: string): Promise<boolean> {
    const rows = await this.db.manager.query(`INSERT INTO slack_event (event_id, team_id) VALUES ($1, $2) ON CONFLICT DO NOTHING RETURNING event_id`, [eventId, teamId]);
    return rows.length > 0;
  }

  /** Lets a retry of an event whose handling failed be handled again. */
  async releaseEvent(eventId: string): Promise<void> {
    await this.db.manager.query(`DELETE FROM slack_event WHERE event_id = $1`, [eventId]);
  }

  async findThreadByCase(caseId: string): Promise<{ channel_id: string; thread_ts: string } | undefined> {
    const rows = await this.db.manager.query(`SELECT channel_id, thread_ts FROM slack_thread WHERE case_id = $1`, [caseId]);
    return rows[0];
  }

  async findCaseByThread(channelId: string, threadTs: string): Promise<string | undefined> {
    const rows = await this.db.manager.query(`SELECT case_id FROM slack_thread WHERE channel_id = $1 AND thread_ts = $2`, [channelId, threadTs]);
    return rows[0]?.case_id;
  }

  async insertThread(caseId: string, channelId: string, threadTs: string): Promise<void> {
    await this.db.manager.query(`INSERT INTO slack_thread (case_id, channel_id, thread_ts) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`, [caseId, channelId, threadTs]);
  }

  /** What the parent post of a mirrored case shows: reference, channel, department, resident, first message. */
  async caseForMirror(caseId: string): Promise<MirrorCase | undefined> {
    const rows = await this.db.manager.query(
      `SELECT c.id, c.reference, c.channel, d.slug AS department_slug, r.name AS resident_name, m.id AS first_message_id, m.text AS first_text
         FROM "case" c
         JOIN department d ON d.id = c.department_id
         JOIN resident r ON r.id = c.resident_id
         LEFT JOIN LATERAL (SELECT id, text FROM message WHERE case_id = c.id ORDER BY created_at, id LIMIT 1) m ON true
        WHERE c.id = $1`,
      [caseId],
    );
    return rows[0];
  }

  async messageForMirror(messageId: string): Promise<MirrorMessage | undefined> {
    const rows = await this.db.manager.query(
      `SELECT m.id, m.case_id, m.direction, m.text, a.name AS agent_name FROM message m LEFT JOIN agent a ON a.id = m.author_agent_id WHERE m.id = $1`,
      [messageId],
    );
    return rows[0];
  }
}

export interface MirrorCase {
  id: string;
  reference: string;
  channel: string;
  department_slug: string;
  resident_name: string | null;
  first_message_id: string | null;
  first_text: string | null;
}

export interface MirrorMessage {
  id: string;
  case_id: string;
  direction: 'inbound' | 'outbound' | 'note' | 'system';
  text: string;
  agent_name: string | null;
}
