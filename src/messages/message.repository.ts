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
}

@Injectable()
export class MessageRepository {
  constructor(private readonly db: Db) {}

  async findByExternalId(m: EntityManager, channel: Channel, externalId: string): Promise<MessageRow | undefined> {
    const rows = await m.query(`SELECT * FROM message WHERE channel = $1 AND external_id = $2`, [channel, externalId]);
    return rows[0];
  }

  /** Undefined when another transaction stored the same (channel, external id) first. */
  async insertInboundIfNew(m: EntityManager, msg: NewInboundMessage): Promise<MessageRow | undefined> {
    const rows = await m.query(
      `INSERT INTO message (case_id, direction, channel, external_id, identity_id, text, text_full, attachments, redactions, sent_at)
       VALUES ($1, 'inbound', $2, $3, $4, $5, $6, $7, $8, $9)
       ON CONFLICT (channel, external_id) WHERE external_id IS NOT NULL DO NOTHING
       RETURNING *`,
      [msg.caseId, msg.channel, msg.externalId, msg.identityId, msg.text, msg.textFull, JSON.stringify(msg.attachments), msg.redactions, msg.sentAt],
    );
    return rows[0];
  }

  async insertStaffMessage(m: EntityManager, msg: NewStaffMessage): Promise<MessageRow> {
    const rows = await m.query(
      `INSERT INTO message (case_id, direction, channel, author_agent_id, text, attachments, delivery_status)
       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
      [
        msg.caseId,
        msg.direction,
        msg.channel,
        msg.authorAgentId,
        msg.text,
        JSON.stringify(msg.attachments ?? []),
        msg.direction === MessageDirection.Outbound ? DeliveryStatus.Queued : null,
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

  async listForCase(caseId: string, m: EntityManager = this.db.manager): Promise<MessageRow[]> {
    return m.query(`SELECT * FROM message WHERE case_id = $1 ORDER BY created_at, id`, [caseId]);
  }
}
