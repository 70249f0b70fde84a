import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Attachment bytes, kept in PostgreSQL (the hub's only store; files are capped at 10 MB by the channels).
 * An attachment is stored unlinked when it arrives (a widget upload, a provider's media) and linked to its case
 * once the message is in; unlinked ones older than a day are removed by a job.
 */
export class Attachments1764230750000 implements MigrationInterface {
  name = 'Attachments1764230750000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE attachment (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      case_id uuid REFERENCES "case"(id) ON DELETE CASCADE,
      source text NOT NULL,
      filename text NOT NULL,
      content_type text NOT NULL,
      size integer NOT NULL CHECK (size >= 0),
      sha256 text NOT NULL,
      bytes bytea NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX attachment_case_idx ON attachment (case_id) WHERE case_id IS NOT NULL`);
    await q.query(`CREATE INDEX attachment_unlinked_idx ON attachment (created_at) WHERE case_id IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS attachment`);
  }
}
