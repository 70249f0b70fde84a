import { Injectable } from '@nestjs/common';
import { Channel } from '../../common/enum';
import { Db } from '../../database/db';
import { RecipientState } from './twilio.adapter';
import { OptKeyword } from './twilio-params';

/** The Twilio channel's own questions: inboxes by Messaging Service, and the per-identity opt-out and window columns. */
@Injectable()
export class TwilioRepository {
  constructor(private readonly db: Db) {}

  async findInboxIdByMessagingServiceSid(channel: Channel, messagingServiceSid: string): Promise<string | undefined> {
    const rows: Array<{ id: string }> = await this.db.manager.query(
      `SELECT id FROM inbox WHERE channel = $1 AND settings->>'messagingServiceSid' = $2 ORDER BY created_at LIMIT 1`,
      [channel, messagingServiceSid],
    );
    return rows[0]?.id;
  }

  async recipientState(channel: Channel, address: string): Promise<RecipientState | undefined> {
    const rows: Array<{ opted_out_at: Date | null; last_inbound_at: Date | null }> = await this.db.manager.query(
      `SELECT opted_out_at, last_inbound_at FROM identity WHERE channel = $1 AND address = $2`,
      [channel, address],
    );
    return rows[0] && { optedOutAt: rows[0].opted_out_at, lastInboundAt: rows[0].last_inbound_at };
  }

  /**
   * After a resident's message was stored: their last inbound time (the WhatsApp window) and, for STOP or START,
   * their opt-out. A STOP keeps the first opt-out time; START lifts it.
   */
  async recordInbound(channel: Channel, address: string, keyword: OptKeyword | undefined): Promise<{ residentId: string; optedOutAt: Date | null } | undefined> {
    const [rows] = await this.db.manager.query(
      `UPDATE identity SET
         last_inbound_at = greatest(coalesce(last_inbound_at, now()), now()),
         opted_out_at = CASE WHEN $3 = 'stop' THEN coalesce(opted_out_at, now()) WHEN $3 = 'start' THEN NULL ELSE opted_out_at END,
         opt_out_keyword = CASE WHEN $3 = 'stop' THEN coalesce(opt_out_keyword, $4) WHEN $3 = 'start' THEN NULL ELSE opt_out_keyword END
       WHERE channel = $1 AND address = $2
       RETURNING resident_id, opted_out_at`,
      [channel, address, keyword ?? null, keyword === 'stop' ? 'STOP' : null],
    );
    const row = (rows as Array<{ resident_id: string; opted_out_at: Date | null }>)[0];
    return row && { residentId: row.resident_id, optedOutAt: row.opted_out_at };
  }
}
