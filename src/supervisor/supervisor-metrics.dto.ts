import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Matches } from 'class-validator';
import { HISTORY_BUCKETS, HistoryBucket } from './kpi-definitions';

/** ISO 8601 date-time with a zone (Z or ±hh:mm), or a plain date (local midnight in Europe/London). */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

export class HistoryQueryDto {
  @ApiProperty({ description: 'Start (inclusive): cases created at or after it. ISO 8601 with a zone, or a date (London midnight)', example: '2026-11-26T00:00:00Z' })
  @IsString({ message: 'from is required (ISO 8601, e.g. 2026-11-26T00:00:00Z)' })
  @Matches(ISO_TIME, { message: 'from must be an ISO 8601 date-time with a zone (e.g. 2026-11-26T00:00:00Z) or a date (2026-11-26)' })
  from: string;

  @ApiProperty({ description: 'End (exclusive): cases created before it', example: '2026-11-27T00:00:00Z' })
  @IsString({ message: 'to is required (ISO 8601, e.g. 2026-11-27T00:00:00Z)' })
  @Matches(ISO_TIME, { message: 'to must be an ISO 8601 date-time with a zone (e.g. 2026-11-27T00:00:00Z) or a date (2026-11-27)' })
  to: string;

  @ApiPropertyOptional({ enum: HISTORY_BUCKETS, default: 'hour', description: '15m and hour buckets start on the quarter-hour and hour; day buckets at London midnight' })
  @IsOptional()
  @IsIn(HISTORY_BUCKETS as HistoryBucket[], { message: `bucket must be one of ${HISTORY_BUCKETS.join(', ')}` })
  bucket?: HistoryBucket;

  @ApiPropertyOptional({ format: 'uuid', description: 'Only this department (one of yours)' })
  @IsOptional()
  @IsUUID('all', { message: 'departmentId must be a department id (uuid)' })
  departmentId?: string;

  @ApiPropertyOptional({ enum: ['json', 'csv'], default: 'json', description: 'csv: the same rows as CSV with a header line (or send Accept: text/csv)' })
  @IsOptional()
  @IsIn(['json', 'csv'], { message: 'format must be json or csv' })
  format?: 'json' | 'csv';
}
