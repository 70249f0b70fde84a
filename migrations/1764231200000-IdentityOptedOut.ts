import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Opted-out identities, the few: every case summary asks whether its resident opted out on its channel, and without
 * this the planner hashes every identity row to answer it (once per summary read; the table grows with residents).
 */
export class IdentityOptedOut1764231200000 implements MigrationInterface {
  name = 'IdentityOptedOut1764231200000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX identity_opted_out_idx ON identity (resident_id, channel) WHERE opted_out_at IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS identity_opted_out_idx`);
  }
}
