import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Channel, MessageDirection } from '../common/enum';
import { HubError } from '../common/errors';
import { Tx } from '../database/db';
import { MessageRepository, MessageRow, NewInboundMessage, NewStaffMessage } from './message.repository';

/** Messages on cases. Delivery status of outbound messages is the delivery module's, through this service. */
@Injectable()
export class MessagesService {
  constructor(private readonly messages: MessageRepository) {}

  findInbound(m: EntityManager, channel: Channel, externalId: string): Promise<MessageRow | undefined> {
    return this.messages.findByExternalId(m, channel, externalId);
  }

  /** Undefined when the same (channel, external id) was stored by a concurrent transaction. */
  async recordInbound(tx: Tx, msg: NewInboundMessage): Promise<MessageRow | undefined> {
    const row = await this.messages.insertInboundIfNew(tx.manager, msg);
    if (row) tx.emit('message.created', { caseId: row.case_id, messageId: row.id, direction: MessageDirection.Inbound, channel: row.channel });
    return row;
  }

  async addStaffMessage(tx: Tx, msg: NewStaffMessage): Promise<MessageRow> {
    const row = await this.messages.insertStaffMessage(tx.manager, msg);
    tx.emit('message.created', { caseId: row.case_id, messageId: row.id, direction: row.direction, channel: row.channel });
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

  listForCase(caseId: string, m?: EntityManager): Promise<MessageRow[]> {
    return this.messages.listForCase(caseId, m);
  }
}
