import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Channel, MessageDirection } from '../common/enum';
import { HubError } from '../common/errors';
import { Tx } from '../database/db';
import { AttachmentMeta } from '../channels/channel-adapter';
import { MessageRepository, MessageRow, NewChannelMessage, NewClientReply, NewInboundMessage, NewStaffMessage } from './message.repository';

/** Messages on cases. Delivery status of outbound messages is the delivery module's, through this service. */
@Injectable()
export class MessagesService {
  constructor(private readonly messages: MessageRepository) {}

  findInboundMany(m: EntityManager, keys: Array<{ channel: Channel; externalId: string }>): Promise<MessageRow[]> {
    return this.messages.findByExternalIds(m, keys);
  }

  /**
   * Stores residents' messages in one statement (one per (channel, external id)); answers in order, undefined where
   * a concurrent transaction stored that message first.
   */
  async recordInboundMany(tx: Tx, msgs: NewInboundMessage[]): Promise<Array<MessageRow | undefined>> {
    const rows = await this.messages.insertInboundManyIfNew(tx.manager, msgs);
    const byKey = new Map(rows.map((r) => [`${r.channel}\u0000${r.external_id}`, r]));
    return msgs.map((msg) => {
      const row = byKey.get(`${msg.channel}\u0000${msg.externalId}`);
      if (row) tx.emit('message.created', { caseId: row.case_id, messageId: row.id, direction: MessageDirection.Inbound, channel: row.channel });
      return row;
    });
  }

  async addStaffMessage(tx: Tx, msg: NewStaffMessage): Promise<MessageRow> {
    const row = await this.messages.insertStaffMessage(tx.manager, msg);
    tx.emit('message.created', { caseId: row.case_id, messageId: row.id, direction: row.direction, channel: row.channel });
    return row;
  }

  /**
   * A staff reply under the client's own id for it, stored once per (case, client id). `stored: false`: the case
   * already had that one (a repeat of the command), answered as it is, with no event (so no second delivery).
   */
  async addClientReply(tx: Tx, msg: NewClientReply): Promise<{ row: MessageRow; stored: boolean }> {
    const row = await this.messages.insertClientReplyIfNew(tx.manager, msg);
    if (row) {
      tx.emit('message.created', { caseId: row.case_id, messageId: row.id, direction: row.direction, channel: row.channel });
      return { row, stored: true };
    }
    const earlier = await this.messages.findByClientId(msg.caseId, msg.clientId, tx.manager);
    if (!earlier) throw new Error(`message with client id ${msg.clientId} on case ${msg.caseId} conflicted but is not there`);
    return { row: earlier, stored: false };
  }

  /** The message stored under a client's own id on a case, if any. */
  findByClientId(caseId: string, clientId: string, m?: EntityManager): Promise<MessageRow | undefined> {
    return this.messages.findByClientId(caseId, clientId, m);
  }

  /**
   * A message a channel reports that the hub neither sent nor received (a page's reply sent from another tool, a
   * reaction), stored once per (channel, external id). An outbound one is stored `sent`: the delivery job leaves it be.
   */
  async recordFromChannel(tx: Tx, msg: NewChannelMessage): Promise<MessageRow | undefined> {
    const row = await this.messages.insertChannelMessageIfNew(tx.manager, msg);
    if (row) tx.emit('message.created', { caseId: row.case_id, messageId: row.id, direction: row.direction, channel: row.channel });
    return row;
  }

  /** A message's attachment list after its bytes were stored (ids and the hub's URLs in place of the provider's). */
  async updateAttachments(tx: Tx, messageId: string, attachments: AttachmentMeta[]): Promise<MessageRow> {
    const row = await this.messages.updateAttachments(tx.manager, messageId, attachments);
    if (!row) throw HubError.notFound('Message', messageId);
    return row;
  }

  async get(id: string, m?: EntityManager): Promise<MessageRow> {
    const row = await this.messages.findById(id, m);
    if (!row) throw HubError.notFound('Message', id);
    return row;
  }

  lastInboundIdentityId(caseId: string): Promise<string | undefined> {
    return this.messages.lastInboundIdentityId(caseId);
  }

  lastInbound(caseId: string): Promise<{ identityId: string; at: Date } | undefined> {
    return this.messages.lastInbound(caseId);
  }

  listForCase(caseId: string, m?: EntityManager): Promise<MessageRow[]> {
    return this.messages.listForCase(caseId, m);
  }
}
