import { MigrationInterface, QueryRunner } from 'typeorm';

/** When the resident left a web chat before anyone answered: abandonment, for the supervisor's figures. */
export class CaseAbandoned1764230760000 implements MigrationInterface {
  name = 'CaseAbandoned1764230760000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "case" ADD COLUMN abandoned_at timestamptz`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "case" DROP COLUMN IF EXISTS abandoned_at`);
  }
}
