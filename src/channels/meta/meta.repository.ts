import { Injectable } from '@nestjs/common';
import { Channel, DeliveryStatus } from '../../common/enum';
import { Db } from '../../database/db';

/** How far our sent_at (when the Graph API answered) may trail Meta's own timestamp of the same message. */
const CLOCK_SLACK_MS = 2000;

@Injectable()
export class MetaRepository {
  constructor(private readonly db: Db) {}

  /**
   * A resident's WhatsApp message was stored: their identity's 24-hour window runs from its arrival (the column the
   * Twilio channel keeps too, so one number is one window whichever provider carried it). Never moves backwards.
   */
  async recordWhatsappInbound(messageId: string): Promise<void> {
    await this.db.manager.query(
      `UPDATE identity SET last_inbound_at = greatest(coalesce(identity.last_inbound_at, m.created_at), m.created_at)
       FROM message m WHERE m.id = $1 AND m.direction = 'inbound' AND identity.id = m.identity_id`,
      [messageId],
    );
  }

  /**
   * Whether an echo is one of our own replies: sent with that provider id, or (its id not recorded yet: the echo can
   * overtake the Graph API's answer) a reply of ours to this person on this inbox being sent now whose text contains the echo's (long replies go in
   * parts).
   */
  async isOwnReply(channel: Channel, inboxId: string, recipient: string, mid: string, text: string): Promise<boolean> {
    const rows: unknown[] = await this.db.manager.query(
      `SELECT 1 FROM message WHERE channel = $1 AND provider_message_id = $2
       UNION ALL
       SELECT 1 FROM message m
         JOIN "case" c ON c.id = m.case_id
         JOIN identity i ON i.resident_id = c.resident_id AND i.channel = $1 AND i.address = $3
        WHERE c.inbox_id = $4 AND m.channel = $1 AND m.direction = 'outbound' AND m.delivery_status = 'queued'
          AND m.provider_message_id IS NULL AND strpos(m.text, $5) > 0 AND m.created_at > now() - interval '10 minutes'
       LIMIT 1`,
      [channel, mid, recipient, inboxId, text],
    );
    return rows.length > 0;
  }

  /** The person's newest case on this inbox that still takes messages (not closed): where a page's echo belongs. */
  async openCaseOf(channel: Channel, inboxId: string, address: string): Promise<string | undefined> {
    const rows: Array<{ id: string }> = await this.db.manager.query(
      `SELECT c.id FROM "case" c
         JOIN identity i ON i.resident_id = c.resident_id AND i.channel = $1 AND i.address = $3
        WHERE c.inbox_id = $2 AND c.status <> 'closed'
        ORDER BY c.created_at DESC LIMIT 1`,
      [channel, inboxId, address],
    );
    return rows[0]?.id;
  }

  /** The message a reaction names (our reply by provider id, or the resident's by external id) on this inbox. */
  async messageByMid(channel: Channel, inboxId: string, mid: string): Promise<{ caseId: string; text: string } | undefined> {
    const rows: Array<{ case_id: string; text: string }> = await this.db.manager.query(
      `SELECT m.case_id, m.text FROM message m JOIN "case" c ON c.id = m.case_id
        WHERE m.channel = $1 AND c.inbox_id = $2 AND (m.provider_message_id = $3 OR m.external_id = $3)
        LIMIT 1`,
      [channel, inboxId, mid],
    );
    return rows[0] && { caseId: rows[0].case_id, text: rows[0].text };
  }

  /**
   * Provider ids of our replies on this inbox to this person, sent up to the watermark and not yet at `status`:
   * what a Messenger receipt by watermark ("everything before this moment was read") covers.
   */
  async providerIdsUpTo(channel: Channel, inboxId: string, recipient: string, watermark: Date, status: DeliveryStatus): Promise<string[]> {
    const before = status === DeliveryStatus.Read ? ['sent', 'delivered'] : ['sent'];
    const rows: Array<{ provider_message_id: string }> = await this.db.manager.query(
      `SELECT m.provider_message_id
         FROM message m
         JOIN "case" c ON c.id = m.case_id
         JOIN identity i ON i.resident_id = c.resident_id AND i.channel = $1 AND i.address = $3
        WHERE c.inbox_id = $2 AND m.channel = $1 AND m.direction = 'outbound' AND m.provider_message_id IS NOT NULL
          AND m.delivery_status = ANY($5) AND m.sent_at <= $4
        ORDER BY m.sent_at
        LIMIT 200`,
      [channel, inboxId, recipient, new Date(watermark.getTime() + CLOCK_SLACK_MS), before],
    );
    return rows.map((r) => r.provider_message_id);
  }
}
