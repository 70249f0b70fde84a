import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The console's own id for a reply (`case:reply { clientId }`): a reply sent twice with the same one (a double press,
 * a command retried after a dropped socket) is one message. Unique per case where given; most messages have none.
 */
export class ReplyClientId1764231307000 implements MigrationInterface {
  name = 'ReplyClientId1764231307000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE message ADD COLUMN client_id text`);
    await q.query(`CREATE UNIQUE INDEX message_case_client_key ON message (case_id, client_id) WHERE client_id IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS message_case_client_key`);
    await q.query(`ALTER TABLE message DROP COLUMN IF EXISTS client_id`);
  }
}
