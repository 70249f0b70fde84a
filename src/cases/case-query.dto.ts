import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsEnum, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { AttachmentMeta } from '../channels/channel-adapter';
import { CasePriority, CaseStatus, Channel, DeliveryStatus, MessageDirection } from '../common/enum';
import { MessageRow } from '../messages/message.repository';
import { ResidentDto } from '../residents/residents.dto';
import { SlaDto } from '../sla/sla.dto';
import { toSlaView } from '../sla/sla.views';
import { CaseListRow, FailedMessageRow } from './case-query.repository';

export const PAGE_LIMIT_MAX = 100;
export const PAGE_LIMIT_DEFAULT = 25;

const STATUS_LIST = new RegExp(`^(${Object.values(CaseStatus).join('|')})(,(${Object.values(CaseStatus).join('|')}))*$`);

export class PageQueryDto {
  @ApiPropertyOptional({ description: 'nextCursor from the previous page, unchanged' })
  @IsOptional() @IsString() @MaxLength(1000)
  cursor?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: PAGE_LIMIT_MAX, default: PAGE_LIMIT_DEFAULT })
  @IsOptional() @Type(() => Number) @IsInt() @Min(1) @Max(PAGE_LIMIT_MAX)
  limit?: number;
}

export class CaseListQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'One status or several separated by commas', example: 'new,open' })
  @IsOptional() @IsString() @Matches(STATUS_LIST, { message: `status must be one or more of ${Object.values(CaseStatus).join(', ')}, separated by commas` })
  status?: string;

  @ApiPropertyOptional({ description: 'Department slug or id' })
  @IsOptional() @IsString() @MaxLength(100)
  department?: string;

  @ApiPropertyOptional({ enum: Channel })
  @IsOptional() @IsEnum(Channel)
  channel?: Channel;

  @ApiPropertyOptional({ description: 'An agent id, "me" or "none" (unassigned)' })
  @IsOptional() @IsString() @Matches(/^(me|none|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i, { message: 'assignee must be an agent id, "me" or "none"' })
  assignee?: string;
}

export class CaseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'C-2026-000123' }) reference: string;
  @ApiProperty({ enum: CaseStatus }) status: CaseStatus;
  @ApiProperty({ enum: CasePriority }) priority: CasePriority;
  @ApiProperty({ description: 'Goes up on every change; a push with a lower version is stale' }) version: number;
  @ApiProperty({ enum: Channel }) channel: Channel;
  @ApiProperty({ format: 'uuid' }) departmentId: string;
  @ApiPropertyOptional({ format: 'uuid', nullable: true }) serviceId: string | null;
  @ApiPropertyOptional({ format: 'uuid', nullable: true }) assigneeId: string | null;
  @ApiProperty({ format: 'uuid' }) residentId: string;
  @ApiPropertyOptional({ nullable: true }) residentName: string | null;
  @ApiProperty({ format: 'uuid' }) inboxId: string;
  @ApiPropertyOptional({ nullable: true }) subject: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time' }) updatedAt: string;
  @ApiPropertyOptional({ format: 'date-time', nullable: true }) firstResponseAt: string | null;
  @ApiPropertyOptional({ format: 'date-time', nullable: true }) lastInboundAt: string | null;
  @ApiPropertyOptional({ format: 'date-time', nullable: true }) resolvedAt: string | null;
  @ApiPropertyOptional({ format: 'date-time', nullable: true }) closedAt: string | null;
  @ApiProperty({ type: SlaDto, description: 'Due times of the SLA targets and where the case stands against them' }) sla: SlaDto;
}

export class CasePageDto {
  @ApiProperty({ type: [CaseDto] }) items: CaseDto[];
  @ApiPropertyOptional({ nullable: true, description: 'Pass as cursor for the next page; null on the last page' }) nextCursor: string | null;
}

export class MessageDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) caseId: string;
  @ApiProperty({ enum: MessageDirection }) direction: MessageDirection;
  @ApiProperty({ enum: Channel }) channel: Channel;
  @ApiProperty() text: string;
  @ApiProperty({ type: 'array', items: { type: 'object' } }) attachments: AttachmentMeta[];
  @ApiPropertyOptional({ nullable: true, description: 'What redaction removed (card numbers…)' }) redactions: Record<string, number> | null;
  @ApiPropertyOptional({ format: 'uuid', nullable: true }) authorAgentId: string | null;
  @ApiPropertyOptional({ format: 'uuid', nullable: true }) identityId: string | null;
  @ApiPropertyOptional({ enum: DeliveryStatus, nullable: true }) deliveryStatus: DeliveryStatus | null;
  @ApiPropertyOptional({ nullable: true }) deliveryReason: string | null;
  @ApiProperty() attempts: number;
  @ApiPropertyOptional({ format: 'date-time', nullable: true }) sentAt: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class CaseDetailDto {
  @ApiProperty({ type: CaseDto }) case: CaseDto;
  @ApiProperty({ type: [MessageDto], description: 'Oldest first' }) messages: MessageDto[];
  @ApiProperty({ type: ResidentDto }) resident: ResidentDto;
  @ApiProperty({ type: [CaseDto], description: 'The resident’s other cases you may see, newest first' }) otherCases: CaseDto[];
}

export class FailedMessageDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) caseId: string;
  @ApiProperty() caseReference: string;
  @ApiProperty({ format: 'uuid' }) departmentId: string;
  @ApiProperty({ enum: Channel }) channel: Channel;
  @ApiProperty() text: string;
  @ApiPropertyOptional({ nullable: true }) reason: string | null;
  @ApiProperty() attempts: number;
  @ApiPropertyOptional({ format: 'uuid', nullable: true }) authorAgentId: string | null;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
  @ApiProperty({ format: 'date-time', description: 'When it failed' }) failedAt: string;
}

export class FailedMessagePageDto {
  @ApiProperty({ type: [FailedMessageDto] }) items: FailedMessageDto[];
  @ApiPropertyOptional({ nullable: true }) nextCursor: string | null;
}

const iso = (d: Date | string | null): string | null => (d === null ? null : new Date(d).toISOString());

export function toCaseDto(c: CaseListRow): CaseDto {
  return {
    id: c.id,
    reference: c.reference,
    status: c.status,
    priority: c.priority,
    version: c.version,
    channel: c.channel,
    departmentId: c.department_id,
    serviceId: c.service_id,
    assigneeId: c.assignee_id,
    residentId: c.resident_id,
    residentName: c.resident_name,
    inboxId: c.inbox_id,
    subject: c.subject,
    createdAt: iso(c.created_at)!,
    updatedAt: iso(c.updated_at)!,
    firstResponseAt: iso(c.first_response_at),
    lastInboundAt: iso(c.last_inbound_at),
    resolvedAt: iso(c.resolved_at),
    closedAt: iso(c.closed_at),
    sla: toSlaView(c),
  };
}

export function toMessageDto(m: MessageRow): MessageDto {
  return {
    id: m.id,
    caseId: m.case_id,
    direction: m.direction,
    channel: m.channel,
    text: m.text,
    attachments: m.attachments,
    redactions: m.redactions,
    authorAgentId: m.author_agent_id,
    identityId: m.identity_id,
    deliveryStatus: m.delivery_status,
    deliveryReason: m.delivery_reason,
    attempts: m.attempts,
    sentAt: iso(m.sent_at),
    createdAt: iso(m.created_at)!,
  };
}

export function toFailedMessageDto(m: FailedMessageRow): FailedMessageDto {
  return {
    id: m.id,
    caseId: m.case_id,
    caseReference: m.case_reference,
    departmentId: m.department_id,
    channel: m.channel,
    text: m.text,
    reason: m.delivery_reason,
    attempts: m.attempts,
    authorAgentId: m.author_agent_id,
    createdAt: iso(m.created_at)!,
    failedAt: iso(m.updated_at)!,
  };
}
