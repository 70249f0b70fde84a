import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Web chat: its visitors (one per browser that chatted: the widget's signed token names one) and the widget's own
 * state of each conversation (a case): read state both ways, pre-chat answers posted, transcript sent, ended.
 * A visitor's `address` is its `webchat` identity's address: `visitor:<id>`, or `user:<id>` once the council's site
 * vouched for a signed-in resident (identity verification), shared by that resident's devices.
 */
export class Webchat1764230800000 implements MigrationInterface {
  name = 'Webchat1764230800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE webchat_visitor (
      id uuid PRIMARY KEY,
      inbox_id uuid NOT NULL REFERENCES inbox(id),
      address text NOT NULL,
      verified boolean NOT NULL DEFAULT false,
      name text,
      email text,
      phone text,
      service_id uuid REFERENCES service(id),
      prechat_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX webchat_visitor_address_idx ON webchat_visitor (address)`);

    await q.query(`CREATE TABLE webchat_conversation (
      case_id uuid PRIMARY KEY REFERENCES "case"(id) ON DELETE CASCADE,
      visitor_id uuid NOT NULL REFERENCES webchat_visitor(id),
      prechat_posted_at timestamptz,
      agent_read_at timestamptz,
      resident_seen_at timestamptz,
      ended_at timestamptz,
      transcript_sent_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX webchat_conversation_visitor_idx ON webchat_conversation (visitor_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS webchat_conversation`);
    await q.query(`DROP TABLE IF EXISTS webchat_visitor`);
  }
}
