import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Channel, DeliveryStatus, MessageDirection } from '../common/enum';
import { Db } from '../database/db';
import { AttachmentMeta } from '../channels/channel-adapter';

export interface MessageRow {
  id: string;
  case_id: string;
  direction: MessageDirection;
  channel: Channel;
  external_id: string | null;
  identity_id: string | null;
  author_agent_id: string | null;
  text: string;
  text_full: string | null;
  attachments: AttachmentMeta[];
  redactions: Record<string, number> | null;
  delivery_status: DeliveryStatus | null;
  delivery_reason: string | null;
  provider_message_id: string | null;
  attempts: number;
  sent_at: Date | null;
  /** The console's own id for an outbound reply (`case:reply { clientId }`): one message per (case, client id). */
  client_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface NewInboundMessage {
  caseId: string;
  channel: Channel;
  externalId: string;
  identityId: string;
  text: string;
  textFull: string | null;
  attachments: AttachmentMeta[];
  redactions: Record<string, number> | null;
  sentAt: Date;
}

export interface NewStaffMessage {
  caseId: string;
  channel: Channel;
  direction: MessageDirection.Outbound | MessageDirection.Note | MessageDirection.System;
  authorAgentId: string | null;
  text: string;
  attachments?: AttachmentMeta[];
  /** What redaction removed from the text (card numbers…), if anything. */
  redactions?: Record<string, number> | null;
}

/** A staff reply under the client's own id for it: the same (case, client id) is stored once. */
export interface NewClientReply extends NewStaffMessage {
  direction: MessageDirection.Outbound;
  clientId: string;
}

/** A message a channel reports that the hub did not send or receive itself (a page's reply sent elsewhere, a reaction). */
export interface NewChannelMessage {
  caseId: string;
  channel: Channel;
  /** Outbound: already sent by someone else (stored `sent`, never delivered by us). System: a note of what happened. */
  direction: MessageDirection.Outbound | MessageDirection.System;
  /** The provider's id for it: a repeat of the same report stores nothing. */
  externalId: string;
  text: string;
  attachments?: AttachmentMeta[];
  sentAt?: Date;
}

@Injectable()
export class MessageRepository {
  constructor(private readonly db: Db) {}

  async findByExternalIds(m: EntityManager, keys: Array<{ channel: Channel; externalId: string }>): Promise<MessageRow[]> {
    return m.query(
      `SELECT m.* FROM unnest($1::text[], $2::text[]) AS k(channel, external_id)
       JOIN message m ON m.channel = k.channel AND m.external_id = k.external_id
       WHERE m.external_id IS NOT NULL`,
      [keys.map((k) => k.channel), keys.map((k) => k.externalId)],
    );
  }

  /**
   * Inserts inbound messages in one statement, in the order given (one per (channel, external id)). Returns the rows
   * stored; one that another transaction stored first is missing from them (the unique key decides).
   */
  async insertInboundManyIfNew(m: EntityManager, msgs: NewInboundMessage[]): Promise<MessageRow[]> {
    const column = <T>(pick: (msg: NewInboundMessage) => T) => msgs.map(pick);
    return m.query(
      `INSERT INTO message (case_id, direction, channel, external_id, identity_id, text, text_full, attachments, redactions, sent_at)
       SELECT case_id, 'inbound', channel, external_id, identity_id, text, text_full, attachments::jsonb, redactions::jsonb, sent_at
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[])
            WITH ORDINALITY AS v(case_id, channel, external_id, identity_id, text, text_full, attachments, redactions, sent_at, ord)
       ORDER BY ord
       ON CONFLICT (channel, external_id) WHERE external_id IS NOT NULL DO NOTHING
       RETURNING *`,
      [
        column((x) => x.caseId),
        column((x) => x.channel),
        column((x) => x.externalId),
        column((x) => x.identityId),
        column((x) => x.text),
        column((x) => x.textFull),
        column((x) => JSON.stringify(x.attachments)),
        column((x) => (x.redactions ? JSON.stringify(x.redactions) : null)),
        column((x) => x.sentAt),
      ],
    );
  }

  async insertStaffMessage(m: EntityManager, msg: NewStaffMessage): Promise<MessageRow> {
    return (await this.insertStaff(m, msg, null))!;
  }

  /**
   * Undefined when the case already has a message under that client id (stored by this command earlier, or by a
   * concurrent transaction: the unique key decides, the insert waits for the other to commit or roll back).
   */
  async insertClientReplyIfNew(m: EntityManager, msg: NewClientReply): Promise<MessageRow | undefined> {
    return this.insertStaff(m, msg, msg.clientId);
  }

  /** A staff message; with a client id, none when the case already has that one (a message without one never conflicts). */
  private async insertStaff(m: EntityManager, msg: NewStaffMessage, clientId: string | null): Promise<MessageRow | undefined> {
    const rows = await m.query(
      `INSERT INTO message (case_id, direction, channel, author_agent_id, text, attachments, delivery_status, redactions, client_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (case_id, client_id) WHERE client_id IS NOT NULL DO NOTHING
       RETURNING *`,
      [
        msg.caseId,
        msg.direction,
        msg.channel,
        msg.authorAgentId,
        msg.text,
        JSON.stringify(msg.attachments ?? []),
        msg.direction === MessageDirection.Outbound ? DeliveryStatus.Queued : null,
        msg.redactions ?? null,
        clientId,
      ],
    );
    return rows[0];
  }

  async findByClientId(caseId: string, clientId: string, m: EntityManager = this.db.manager): Promise<MessageRow | undefined> {
    const rows = await m.query(`SELECT * FROM message WHERE case_id = $1 AND client_id = $2`, [caseId, clientId]);
    return rows[0];
  }

  async updateAttachments(m: EntityManager, messageId: string, attachments: AttachmentMeta[]): Promise<MessageRow | undefined> {
    const [rows] = await m.query(`UPDATE message SET attachments = $2::jsonb, updated_at = now() WHERE id = $1 RETURNING *`, [messageId, JSON.stringify(attachments)]);
    return rows[0];
  }

  /** Undefined when that (channel, external id) is already stored. */
  async insertChannelMessageIfNew(m: EntityManager, msg: NewChannelMessage): Promise<MessageRow | undefined> {
    const rows = await m.query(
      `INSERT INTO message (case_id, direction, channel, external_id, text, attachments, delivery_status, sent_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (channel, external_id) WHERE external_id IS NOT NULL DO NOTHING
       RETURNING *`,
      [
        msg.caseId,
        msg.direction,
        msg.channel,
        msg.externalId,
        msg.text,
        JSON.stringify(msg.attachments ?? []),
        msg.direction === MessageDirection.Outbound ? DeliveryStatus.Sent : null,
        msg.sentAt ?? (msg.direction === MessageDirection.Outbound ? new Date() : null),
      ],
    );
    return rows[0];
  }

  async findById(id: string, m: EntityManager = this.db.manager): Promise<MessageRow | undefined> {
    const rows = await m.query(`SELECT * FROM message WHERE id = $1`, [id]);
    return rows[0];
  }

  /** The identity the resident last wrote from on a case: where a reply goes. */
  async lastInboundIdentityId(caseId: string): Promise<string | undefined> {
    const rows = await this.db.manager.query(
      `SELECT identity_id FROM message WHERE case_id = $1 AND direction = 'inbound' ORDER BY created_at DESC, id DESC LIMIT 1`,
      [caseId],
    );
    return rows[0]?.identity_id;
  }

  /** The resident's newest message on a case: who it came from and when it arrived. */
  async lastInbound(caseId: string): Promise<{ identityId: string; at: Date } | undefined> {
    const rows: Array<{ identity_id: string | null; created_at: Date }> = await this.db.manager.query(
      `SELECT identity_id, created_at FROM message WHERE case_id = $1 AND direction = 'inbound' ORDER BY created_at DESC, id DESC LIMIT 1`,
      [caseId],
    );
    return rows[0]?.identity_id ? { identityId: rows[0].identity_id, at: rows[0].created_at } : undefined;
  }

  async listForCase(caseId: string, m: EntityManager = this.db.manager): Promise<MessageRow[]> {
    return m.query(`SELECT * FROM message WHERE case_id = $1 ORDER BY created_at, id`, [caseId]);
  }
}
