import { MigrationInterface, QueryRunner } from 'typeorm';

/** The foundation schema: people, places, cases, messages and the audit trail. */
export class Foundation1764230400000 implements MigrationInterface {
  name = 'Foundation1764230400000';

  async up(q: QueryRunner): Promise<void> {

    await q.query(`CREATE TABLE department (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      slug text NOT NULL UNIQUE,
      name text NOT NULL,
      settings jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);

    await q.query(`CREATE TABLE service (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      lgsl_id integer NOT NULL UNIQUE,
      name text NOT NULL,
      department_id uuid NOT NULL REFERENCES department(id),
      created_at timestamptz NOT NULL DEFAULT now()
    )`);

    await q.query(`CREATE TABLE agent (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      email text NOT NULL,
      name text NOT NULL,
      role text NOT NULL CHECK (role IN ('agent','supervisor','admin')),
      password_hash text NOT NULL,
      presence text NOT NULL DEFAULT 'offline' CHECK (presence IN ('available','busy','away','offline')),
      capacity integer NOT NULL DEFAULT 3 CHECK (capacity >= 0),
      active boolean NOT NULL DEFAULT true,
      failed_logins integer NOT NULL DEFAULT 0,
      locked_until timestamptz,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE UNIQUE INDEX agent_email_key ON agent (lower(email))`);

    await q.query(`CREATE TABLE agent_department (
      agent_id uuid NOT NULL REFERENCES agent(id) ON DELETE CASCADE,
      department_id uuid NOT NULL REFERENCES department(id) ON DELETE CASCADE,
      -- round-robin state of auto-assignment: the agent who waited longest since their last case goes next
      last_assigned_at timestamptz,
      PRIMARY KEY (agent_id, department_id)
    )`);

    await q.query(`CREATE TABLE inbox (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      channel text NOT NULL,
      name text NOT NULL,
      address text,
      department_id uuid NOT NULL REFERENCES department(id),
      token_hash text NOT NULL UNIQUE,
      secret text NOT NULL,
      settings jsonb NOT NULL DEFAULT '{}'::jsonb,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE UNIQUE INDEX inbox_channel_address_key ON inbox (channel, address) WHERE address IS NOT NULL`);

    await q.query(`CREATE TABLE resident (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text,
      merged_into_id uuid REFERENCES resident(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);

    await q.query(`CREATE TABLE identity (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      resident_id uuid NOT NULL REFERENCES resident(id),
      channel text NOT NULL,
      address text NOT NULL,
      display_name text,
      verified boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT identity_channel_address_key UNIQUE (channel, address)
    )`);
    await q.query(`CREATE INDEX identity_resident_idx ON identity (resident_id)`);

    await q.query(`CREATE SEQUENCE case_reference_seq`);
    await q.query(`CREATE TABLE "case" (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      reference text NOT NULL UNIQUE,
      status text NOT NULL DEFAULT 'new' CHECK (status IN ('new','open','pending','resolved','closed')),
      priority text NOT NULL DEFAULT 'normal' CHECK (priority IN ('low','normal','high','urgent')),
      priority_rank smallint GENERATED ALWAYS AS (
        CASE priority WHEN 'urgent' THEN 3 WHEN 'high' THEN 2 WHEN 'normal' THEN 1 ELSE 0 END) STORED,
      version integer NOT NULL DEFAULT 1,
      resident_id uuid NOT NULL REFERENCES resident(id),
      inbox_id uuid NOT NULL REFERENCES inbox(id),
      channel text NOT NULL,
      department_id uuid NOT NULL REFERENCES department(id),
      service_id uuid REFERENCES service(id),
      assignee_id uuid REFERENCES agent(id),
      subject text,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      first_response_at timestamptz,
      last_inbound_at timestamptz,
      resolved_at timestamptz,
      closed_at timestamptz
    )`);
    await q.query(`CREATE INDEX case_resident_inbox_idx ON "case" (resident_id, inbox_id, created_at DESC)`);
    await q.query(`CREATE INDEX case_queue_idx ON "case" (department_id, status, priority_rank DESC, created_at, id)`);
    await q.query(`CREATE INDEX case_order_idx ON "case" (priority_rank DESC, created_at, id)`);
    await q.query(`CREATE INDEX case_assignee_idx ON "case" (assignee_id) WHERE assignee_id IS NOT NULL`);

    await q.query(`CREATE TABLE message (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      case_id uuid NOT NULL REFERENCES "case"(id),
      direction text NOT NULL CHECK (direction IN ('inbound','outbound','note','system')),
      channel text NOT NULL,
      external_id text,
      identity_id uuid REFERENCES identity(id),
      author_agent_id uuid REFERENCES agent(id),
      text text NOT NULL DEFAULT '',
      text_full text,
      attachments jsonb NOT NULL DEFAULT '[]'::jsonb,
      redactions jsonb,
      delivery_status text CHECK (delivery_status IN ('queued','sent','delivered','read','failed')),
      delivery_reason text,
      provider_message_id text,
      attempts integer NOT NULL DEFAULT 0,
      delivery_lease_until timestamptz,
      sent_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CHECK ((direction = 'outbound') = (delivery_status IS NOT NULL))
    )`);
    await q.query(`CREATE UNIQUE INDEX message_channel_external_key ON message (channel, external_id) WHERE external_id IS NOT NULL`);
    await q.query(`CREATE UNIQUE INDEX message_channel_provider_key ON message (channel, provider_message_id) WHERE provider_message_id IS NOT NULL`);
    await q.query(`CREATE INDEX message_case_idx ON message (case_id, created_at, id)`);
    await q.query(`CREATE INDEX message_queued_idx ON message (updated_at) WHERE delivery_status = 'queued'`);
    await q.query(`CREATE INDEX message_failed_idx ON message (updated_at DESC) WHERE delivery_status = 'failed'`);

    await q.query(`CREATE TABLE audit_entry (
      id bigserial PRIMARY KEY,
      at timestamptz NOT NULL DEFAULT now(),
      actor_type text NOT NULL CHECK (actor_type IN ('agent','resident','system')),
      actor_id uuid,
      action text NOT NULL,
      subject_type text NOT NULL,
      subject_id uuid,
      details jsonb NOT NULL DEFAULT '{}'::jsonb
    )`);
    await q.query(`CREATE INDEX audit_entry_subject_idx ON audit_entry (subject_type, subject_id, at)`);
    // The audit trail is append-only: refuse edits and deletions at the database itself.
    await q.query(`CREATE FUNCTION audit_entry_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN RAISE EXCEPTION 'audit_entry is append-only'; END $$`);
    await q.query(`CREATE TRIGGER audit_entry_no_change BEFORE UPDATE OR DELETE ON audit_entry
      FOR EACH ROW EXECUTE FUNCTION audit_entry_append_only()`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['audit_entry', 'message', '"case"', 'identity', 'resident', 'inbox', 'agent_department', 'agent', 'service', 'department']) {
      await q.query(`DROP TABLE IF EXISTS ${t} CASCADE`);
    }
    await q.query(`DROP SEQUENCE IF EXISTS case_reference_seq`);
    await q.query(`DROP FUNCTION IF EXISTS audit_entry_append_only()`);
  }
}
