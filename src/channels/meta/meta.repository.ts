import { Injectable } from '@nestjs/common';
import { Channel, DeliveryStatus } from '../../common/enum';
import { Db } from '../../database/db';

/** How far our sent_at (when the Graph API answered) may trail Meta's own timestamp of the same message. */
const CLOCK_SLACK_MS = 2000;

@Injectable()
export class MetaRepository {
  constructor(private readonly db: Db) {}

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
