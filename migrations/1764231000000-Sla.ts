import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * SLA clocks on the case (docs/sla.md) and the alerts supervisors get: due and warning times per target, the
 * pauses while the case waited on the resident, and one open alert per case, target and kind at most.
 */
export class Sla1764231000000 implements MigrationInterface {
  name = 'Sla1764231000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE "case"
      ADD COLUMN sla_first_response_due_at timestamptz,
      ADD COLUMN sla_first_response_warn_at timestamptz,
      ADD COLUMN sla_resolution_due_at timestamptz,
      ADD COLUMN sla_resolution_warn_at timestamptz,
      ADD COLUMN sla_paused_since timestamptz,
      ADD COLUMN sla_pauses jsonb NOT NULL DEFAULT '[]'::jsonb,
      ADD COLUMN sla_policy text`);

    await q.query(`CREATE TABLE sla_alert (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      case_id uuid NOT NULL REFERENCES "case"(id) ON DELETE CASCADE,
      target text NOT NULL CHECK (target IN ('firstResponse','resolution')),
      kind text NOT NULL CHECK (kind IN ('warning','breach')),
      due_at timestamptz NOT NULL,
      raised_at timestamptz NOT NULL DEFAULT now(),
      cleared_at timestamptz,
      cleared_reason text CHECK (cleared_reason IN ('met','resolved','closed','moved','superseded'))
    )`);
    // One current alert per case, target and kind: a job that runs twice raises it once.
    await q.query(`CREATE UNIQUE INDEX sla_alert_current_key ON sla_alert (case_id, target, kind) WHERE cleared_at IS NULL`);
    await q.query(`CREATE INDEX sla_alert_current_idx ON sla_alert (raised_at DESC) WHERE cleared_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS sla_alert`);
    await q.query(`ALTER TABLE "case"
      DROP COLUMN IF EXISTS sla_first_response_due_at, DROP COLUMN IF EXISTS sla_first_response_warn_at,
      DROP COLUMN IF EXISTS sla_resolution_due_at, DROP COLUMN IF EXISTS sla_resolution_warn_at,
      DROP COLUMN IF EXISTS sla_paused_since, DROP COLUMN IF EXISTS sla_pauses, DROP COLUMN IF EXISTS sla_policy`);
  }
}
