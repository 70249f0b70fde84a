import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, MaxLength } from 'class-validator';
import { SlaAlertKind, SlaTarget } from './sla-clock';

export class BreachesQueryDto {
  @ApiPropertyOptional({ description: 'Only this department (id or slug); one of yours' })
  @IsOptional() @IsString() @MaxLength(100)
  departmentId?: string;
}

class AssigneeDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
}

export class SlaAlertDto {
  @ApiProperty({ format: 'uuid' }) caseId: string;
  @ApiProperty({ example: 'C-2026-000123' }) reference: string;
  @ApiProperty({ format: 'uuid' }) departmentId: string;
  @ApiProperty({ enum: SlaTarget }) target: SlaTarget;
  @ApiProperty({ enum: SlaAlertKind, description: 'warning: the share of the target in sla.yaml (warningAt) is used; breach: it is missed' }) kind: SlaAlertKind;
  @ApiProperty({ format: 'date-time', description: 'When the target is (or was) due' }) dueAt: string;
  @ApiProperty({ format: 'date-time' }) raisedAt: string;
  @ApiPropertyOptional({ type: AssigneeDto, nullable: true }) assignee: AssigneeDto | null;
}

export class SlaAlertListDto {
  @ApiProperty({ type: [SlaAlertDto], description: 'Newest first, at most 500' }) alerts: SlaAlertDto[];
}

export class SlaDto {
  @ApiPropertyOptional({ format: 'date-time', nullable: true }) firstResponseDueAt: string | null;
  @ApiPropertyOptional({ format: 'date-time', nullable: true }) resolutionDueAt: string | null;
  @ApiProperty({ enum: ['ok', 'warning', 'breached'] }) state: 'ok' | 'warning' | 'breached';
  @ApiPropertyOptional({ format: 'date-time', nullable: true, description: 'The clocks stand still since then (pending on the resident)' }) pausedSince: string | null;
}
