import { Injectable } from '@nestjs/common';
import { AuditService } from '../audit/audit.service';
import type { Actor } from '../auth/actor';
import { CaseQueryService } from '../cases/case-query.service';
import { CasesService } from '../cases/cases.service';
import { AgentRole } from '../common/enum';
import { HubError } from '../common/errors';
import { Db } from '../database/db';
import { ResidentProfileDto } from './resident-records.dto';
import { MergeResultDto, toResidentDto } from './residents.dto';
import { ResidentsService } from './residents.service';

/**
 * Residents as staff see and correct them. Scoping follows the cases: an agent or supervisor sees a resident
 * through one of the resident's cases in their departments; anyone else gets NotFound, as for a missing one.
 */
@Injectable()
export class ResidentRecordsService {
  constructor(
    private readonly db: Db,
    private readonly residents: ResidentsService,
    private readonly cases: CasesService,
    private readonly caseQueries: CaseQueryService,
    private readonly audit: AuditService,
  ) {}

  async get(actor: Actor, residentId: string): Promise<ResidentProfileDto> {
    const { resident, identities } = await this.residents.getWithIdentities(residentId);
    if (!(await this.caseQueries.canSeeResident(actor, resident.id))) throw HubError.notFound('Resident', residentId);
    return { ...toResidentDto(resident, identities), cases: await this.caseQueries.forResident(actor, resident.id) };
  }

  /**
   * Folds another resident (the same person, known under a second address) into this one, in one transaction:
   * their identities and cases move here, they are marked merged, the audit trail records it, and
   * `resident.merged` goes out after commit. Supervisors and admins only.
   */
  async merge(actor: Actor, intoId: string, otherId: string): Promise<MergeResultDto> {
    if (actor.role === AgentRole.Agent) throw HubError.forbidden('Only a supervisor or an admin may merge residents');
    if (intoId === otherId) throw HubError.validation('residentId: a resident cannot be merged into itself', { field: 'residentId' });
    for (const id of [intoId, otherId]) {
      await this.residents.getWithIdentities(id);
      if (!(await this.caseQueries.canSeeResident(actor, id))) throw HubError.notFound('Resident', id);
    }
    const moved = await this.db.transaction(async (tx) => {
      const { identitiesMoved } = await this.residents.absorb(tx, intoId, otherId);
      const casesMoved = await this.cases.moveToResident(tx, otherId, intoId);
      const details = { mergedResidentId: otherId, identitiesMoved, casesMoved };
      await this.audit.record(tx.manager, { actorType: 'agent', actorId: actor.id, action: 'resident.merge', subjectType: 'resident', subjectId: intoId, details });
      await this.audit.record(tx.manager, { actorType: 'agent', actorId: actor.id, action: 'resident.merged-into', subjectType: 'resident', subjectId: otherId, details: { intoResidentId: intoId } });
      tx.emit('resident.merged', { residentId: intoId, mergedResidentId: otherId });
      return { identitiesMoved, casesMoved };
    });
    const { resident, identities } = await this.residents.getWithIdentities(intoId);
    return { resident: toResidentDto(resident, identities), mergedResidentId: otherId, ...moved };
  }
}
