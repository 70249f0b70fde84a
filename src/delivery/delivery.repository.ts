import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Channel, DeliveryStatus } from '../common/enum';
import { Db } from '../database/db';
import { MessageRow } from '../messages/message.repository';

/** $1 the new status, $2 the provider's id (if now known), $3 the reason (for failed). `sent_at` is when it left us. */
const ADVANCE_SET = `delivery_status = $1, delivery_lease_until = NULL, updated_at = now(),
  provider_message_id = coalesce($2, provider_message_id),
  sent_at = CASE WHEN $1 = 'sent' THEN now() ELSE sent_at END,
  delivery_reason = CASE WHEN $1 = 'failed' THEN $3 WHEN $1 = 'sent' THEN NULL ELSE delivery_reason END`;

/** The delivery module's queries: it owns the delivery columns of the message table. */
@Injectable()
export class DeliveryRepository {
  constructor(private readonly db: Db) {}

  /**
   * Takes a queued message for one delivery attempt: only if still queued and nobody else holds its lease, so
   * a duplicate job (a sweep, a retry) can never send it twice at the same time.
   */
  async lease(messageId: string, leaseMs: number): Promise<MessageRow | undefined> {
    const [rows] = await this.db.manager.query(
      `UPDATE message SET attempts = attempts + 1, delivery_lease_until = now() + make_interval(secs => $2::double precision / 1000)
       WHERE id = $1 AND delivery_status = 'queued' AND (delivery_lease_until IS NULL OR delivery_lease_until < now())
       RETURNING *`,
      [messageId, leaseMs],
    );
    return rows[0];
  }

  /** Ends an attempt that will be tried again: the lease is freed, the reason kept for the console. */
  async release(messageId: string, reason: string): Promise<void> {
    await this.db.manager.query(
      `UPDATE message SET delivery_lease_until = NULL, delivery_reason = $2, updated_at = now() WHERE id = $1 AND delivery_status = 'queued'`,
      [messageId, reason],
    );
  }

  /** Moves the status forward only: the caller names the statuses it may move from. */
  async advance(m: EntityManager, messageId: string, to: DeliveryStatus, from: DeliveryStatus[], extra: { providerMessageId?: string; reason?: string | null } = {}): Promise<MessageRow | undefined> {
    const [rows] = await m.query(
      `UPDATE message SET ${ADVANCE_SET} WHERE id = $4 AND delivery_status = ANY($5::text[]) RETURNING *`,
      [to, extra.providerMessageId ?? null, extra.reason ?? null, messageId, from],
    );
    return rows[0];
  }

  /** The same, for a provider's status callback that knows only its own id for the message (and maybe the inbox). */
  async advanceByProviderId(
    m: EntityManager,
    channel: Channel,
    providerMessageId: string,
    to: DeliveryStatus,
    from: DeliveryStatus[],
    reason?: string,
    inboxId?: string,
  ): Promise<MessageRow | undefined> {
    const [rows] = await m.query(
      `UPDATE message SET ${ADVANCE_SET}
       WHERE channel = $4 AND provider_message_id = $2 AND delivery_status = ANY($5::text[])
         AND ($6::uuid IS NULL OR case_id IN (SELECT id FROM "case" WHERE inbox_id = $6::uuid)) RETURNING *`,
      [to, providerMessageId, reason ?? null, channel, from, inboxId ?? null],
    );
    return rows[0];
  }

  /** Puts a failed message back in the queue for a fresh round of attempts. */
  async requeue(m: EntityManager, messageId: string): Promise<MessageRow | undefined> {
    const [rows] = await m.query(
      `UPDATE message SET delivery_status = 'queued', attempts = 0, delivery_reason = NULL, delivery_lease_until = NULL, updated_at = now()
       WHERE id = $1 AND delivery_status = 'failed' RETURNING *`,
      [messageId],
    );
    return rows[0];
  }

  /** Queued messages nobody has touched for a while: their job was lost (a crash, a Redis restart). */
  async findStuck(olderThanMs: number, limit: number): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.db.manager.query(
      `SELECT id FROM message
       WHERE delivery_status = 'queued' AND updated_at < now() - make_interval(secs => $1::double precision / 1000)
         AND (delivery_lease_until IS NULL OR delivery_lease_until < now())
       ORDER BY updated_at LIMIT $2`,
      [olderThanMs, limit],
    );
    return rows.map((r) => r.id);
  }

  async listFailed(limit: number, before?: Date): Promise<MessageRow[]> {
    return this.db.manager.query(
      `SELECT * FROM message WHERE delivery_status = 'failed' AND ($2::timestamptz IS NULL OR updated_at < $2)
       ORDER BY updated_at DESC LIMIT $1`,
      [limit, before ?? null],
    );
  }
}
