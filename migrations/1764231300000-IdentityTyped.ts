import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Identities only typed into a form (the web chat's pre-chat email and phone), never proven by a message from the
 * address: `typed_at` says when. The first genuine message from such an address takes it to a resident of its own
 * and clears the mark (ResidentsService.resolveIdentities). Existing rows stay NULL: they keep whoever holds them.
 */
export class IdentityTyped1764231300000 implements MigrationInterface {
  name = 'IdentityTyped1764231300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE identity ADD COLUMN typed_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE identity DROP COLUMN IF EXISTS typed_at`);
  }
}
