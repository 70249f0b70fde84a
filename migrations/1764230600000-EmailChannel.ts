import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The email channel's own facts about a stored message: its headers for threading and its sanitised HTML for audit.
 * Message-IDs themselves live on the message row (an inbound one's external_id, our outbound one's
 * provider_message_id), so threading looks them up through the message table's unique indexes.
 */
export class EmailChannel1764230600000 implements MigrationInterface {
  name = 'EmailChannel1764230600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE email_message (
      message_id uuid PRIMARY KEY REFERENCES message(id) ON DELETE CASCADE,
      header_message_id text,
      in_reply_to text[] NOT NULL DEFAULT '{}',
      "references" text[] NOT NULL DEFAULT '{}',
      html text,
      size_bytes integer,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX email_message_header_idx ON email_message (header_message_id) WHERE header_message_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS email_message`);
  }
}
