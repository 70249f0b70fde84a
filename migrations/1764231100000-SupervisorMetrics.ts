import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The supervisor's figures (docs/metrics.md): each department's answer target, and two indexes that keep the live
 * snapshot off the full case table. Open cases are a few per cent of all cases, so a partial index on them carries
 * the queue tiles by itself; today's figures and the history read a range of created_at. Both cover the columns
 * the formulas read (INCLUDE), so PostgreSQL answers from the index without visiting the table rows.
 *
 * On a large existing table, build the two indexes beforehand with CREATE INDEX CONCURRENTLY under the same names
 * (this migration then skips them): a plain CREATE INDEX locks writes to "case" while it runs.
 */
export class SupervisorMetrics1764231100000 implements MigrationInterface {
  name = 'SupervisorMetrics1764231100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE department ADD COLUMN answer_target_seconds integer NOT NULL DEFAULT 300 CHECK (answer_target_seconds > 0)`);
    await q.query(`CREATE INDEX IF NOT EXISTS case_open_metrics_idx ON "case" (department_id, channel, created_at)
      INCLUDE (status, assignee_id) WHERE status IN ('new', 'open', 'pending')`);
    await q.query(`CREATE INDEX IF NOT EXISTS case_created_metrics_idx ON "case" (created_at)
      INCLUDE (department_id, channel, status, first_response_at, abandoned_at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX IF EXISTS case_created_metrics_idx`);
    await q.query(`DROP INDEX IF EXISTS case_open_metrics_idx`);
    await q.query(`ALTER TABLE department DROP COLUMN IF EXISTS answer_target_seconds`);
  }
}
