import { Injectable } from '@nestjs/common';
import { caseScope } from '../auth/access';
import type { Actor } from '../auth/actor';
import { decodeCursor, encodeCursor, isCursorTime } from '../common/cursor';
import { CaseStatus, PRIORITY_RANK } from '../common/enum';
import { HubError } from '../common/errors';
import { DepartmentsService } from '../departments/departments.service';
import { MessagesService } from '../messages/messages.service';
import { ResidentsService } from '../residents/residents.service';
import { toResidentDto } from '../residents/residents.dto';
import { CaseListFilter, CaseQueryRepository, FailedKey, QueueKey } from './case-query.repository';
import {
  CaseDetailDto,
  CaseDto,
  CaseListQueryDto,
  CasePageDto,
  FailedMessagePageDto,
  PAGE_LIMIT_DEFAULT,
  PageQueryDto,
  toCaseDto,
  toFailedMessageDto,
  toMessageDto,
} from './case-query.dto';

/** How many of a resident's other cases a case page shows. */
const OTHER_CASES_MAX = 50;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The ranks a case can have (priority_rank is derived from the priority, see PRIORITY_RANK). */
const PRIORITY_RANKS: readonly number[] = Object.values(PRIORITY_RANK);

/**
 * What staff read about cases, always within the actor's department scope (see auth/access.ts): the queue with
 * filters and keyset paging, one case with its conversation and resident, a resident's cases, failed deliveries.
 */
@Injectable()
export class CaseQueryService {
  constructor(
    private readonly queries: CaseQueryRepository,
    private readonly messages: MessagesService,
    private readonly residents: ResidentsService,
    private readonly departments: DepartmentsService,
  ) {}

  /** The queue in service order: priority first, then oldest first. */
  async list(actor: Actor, query: CaseListQueryDto): Promise<CasePageDto> {
    const limit = query.limit ?? PAGE_LIMIT_DEFAULT;
    const after = decodeCursor(query.cursor, isQueueKey);
    const rows = await this.queries.listQueue(caseScope(actor), await this.filterFrom(actor, query), after, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > limit ? encodeCursor({ priorityRank: last.priority_rank, createdAt: last.created_at_key, id: last.id }) : null;
    return { items: page.map(toCaseDto), nextCursor };
  }

  /** One case with its messages (oldest first), its resident and identities, and the resident's other cases. */
  async detail(actor: Actor, caseId: string): Promise<CaseDetailDto> {
    const scope = caseScope(actor);
    const row = UUID.test(caseId) ? await this.queries.findVisible(scope, caseId) : undefined;
    if (!row) throw HubError.notFound('Case', caseId);
    const [messages, resident, residentCases] = await Promise.all([
      this.messages.listForCase(row.id),
      this.residents.getWithIdentities(row.resident_id),
      this.queries.listForResident(scope, row.resident_id, OTHER_CASES_MAX + 1),
    ]);
    return {
      case: toCaseDto(row),
      messages: messages.map(toMessageDto),
      resident: toResidentDto(resident.resident, resident.identities),
      otherCases: residentCases.filter((c) => c.id !== row.id).slice(0, OTHER_CASES_MAX).map(toCaseDto),
    };
  }

  /** A resident's cases the actor may see, newest first. */
  async forResident(actor: Actor, residentId: string): Promise<CaseDto[]> {
    return (await this.queries.listForResident(caseScope(actor), residentId, OTHER_CASES_MAX)).map(toCaseDto);
  }

  /** Whether the actor may see anything of this resident: admins always, others through one of its cases. */
  async canSeeResident(actor: Actor, residentId: string): Promise<boolean> {
    const scope = caseScope(actor);
    return scope.departmentIds === null || (await this.queries.countVisibleForResident(scope, residentId)) > 0;
  }

  /** Failed outbound messages on the actor's cases, newest failure first (the dead letters to retry). */
  async failedMessages(actor: Actor, query: PageQueryDto): Promise<FailedMessagePageDto> {
    const limit = query.limit ?? PAGE_LIMIT_DEFAULT;
    const after = decodeCursor(query.cursor, isFailedKey);
    const rows = await this.queries.listFailedMessages(caseScope(actor), after, limit + 1);
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    const nextCursor = rows.length > limit ? encodeCursor({ updatedAt: last.updated_at_key, id: last.id }) : null;
    return { items: page.map(toFailedMessageDto), nextCursor };
  }

  /** NotFound unless the actor may see the case (the same answer as for a case that does not exist). */
  async assertVisible(actor: Actor, caseId: string): Promise<void> {
    const row = UUID.test(caseId) ? await this.queries.findVisible(caseScope(actor), caseId) : undefined;
    if (!row) throw HubError.notFound('Case', caseId);
  }

  private async filterFrom(actor: Actor, query: CaseListQueryDto): Promise<CaseListFilter> {
    return {
      statuses: query.status ? (query.status.split(',') as CaseStatus[]) : undefined,
      departmentId: query.department ? (await this.departments.getBySlugOrId(query.department)).id : undefined,
      channel: query.channel,
      assigneeId: query.assignee === undefined ? undefined : query.assignee === 'none' ? null : query.assignee === 'me' ? actor.id : query.assignee,
    };
  }
}

function isQueueKey(v: unknown): v is QueueKey {
  const k = v as QueueKey;
  return !!k && PRIORITY_RANKS.includes(k.priorityRank) && isCursorTime(k.createdAt) && typeof k.id === 'string' && UUID.test(k.id);
}

function isFailedKey(v: unknown): v is FailedKey {
  const k = v as FailedKey;
  return !!k && isCursorTime(k.updatedAt) && typeof k.id === 'string' && UUID.test(k.id);
}
