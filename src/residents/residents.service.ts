import { Injectable } from '@nestjs/common';
import { Channel } from '../common/enum';
import { Tx } from '../database/db';
import { HubError } from '../common/errors';
import { IdentityRow, ResidentRepository } from './resident.repository';

export interface ResolvedIdentity {
  residentId: string;
  identityId: string;
  created: boolean;
}

/** Thrown inside a unit of work when a concurrent transaction won a unique key: run the unit again. */
export class RetryUnit extends Error {
  override name = 'RetryUnit';
}

@Injectable()
export class ResidentsService {
  constructor(private readonly residents: ResidentRepository) {}

  async getIdentity(id: string): Promise<IdentityRow> {
    const row = await this.residents.findIdentityById(id);
    if (!row) throw HubError.notFound('Identity', id);
    return row;
  }

  /** The resident behind a channel address, created on first contact. */
  async resolveIdentity(tx: Tx, channel: Channel, address: string, name?: string): Promise<ResolvedIdentity> {
    const existing = await this.residents.findIdentity(tx.manager, channel, address);
    if (existing) {
      if (name && name !== existing.display_name) await this.residents.setDisplayName(tx.manager, existing.id, existing.resident_id, name);
      return { residentId: existing.resident_id, identityId: existing.id, created: false };
    }
    const created = await this.residents.insertResidentWithIdentity(tx.manager, channel, address, name ?? null);
    if (!created) throw new RetryUnit(`identity ${channel}:${address} was created concurrently`);
    return { residentId: created.resident_id, identityId: created.id, created: true };
  }
}
