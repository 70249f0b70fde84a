import { MigrationInterface, QueryRunner } from 'typeorm';

/** SMS and WhatsApp through Twilio: the opt-out (STOP/START) and the WhatsApp 24-hour window, per identity. */
export class TwilioChannel1764230500000 implements MigrationInterface {
  name = 'TwilioChannel1764230500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE identity
      ADD COLUMN opted_out_at timestamptz,
      ADD COLUMN opt_out_keyword text,
      ADD COLUMN last_inbound_at timestamptz`);
    // Inboxes are found by their Twilio Messaging Service on every webhook.
    await q.query(`CREATE INDEX inbox_messaging_service_idx ON inbox ((settings->>'messagingServiceSid')) WHERE settings ? 'messagingServiceSid'`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS inbox_messaging_service_idx`);
    await q.query(`ALTER TABLE identity DROP COLUMN IF EXISTS opted_out_at, DROP COLUMN IF EXISTS opt_out_keyword, DROP COLUMN IF EXISTS last_inbound_at`);
  }
}
