import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Slack: Events API deliveries already handled (Slack retries an event it thinks was lost; the event_id names it),
 * and the staff-mirror thread of each case (one thread in the department's Slack channel per case).
 * Meta needs no table: messages and statuses use the core's (channel, external_id) and provider ids.
 */
export class MetaSlackChannels1764230700000 implements MigrationInterface {
  name = 'MetaSlackChannels1764230700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE slack_event (
      event_id text PRIMARY KEY,
      team_id text,
      received_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX slack_event_received_idx ON slack_event (received_at)`);
    await q.query(`CREATE TABLE slack_thread (
      case_id uuid PRIMARY KEY REFERENCES "case"(id) ON DELETE CASCADE,
      channel_id text NOT NULL,
      thread_ts text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      UNIQUE (channel_id, thread_ts)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS slack_thread`);
    await q.query(`DROP TABLE IF EXISTS slack_event`);
  }
}
