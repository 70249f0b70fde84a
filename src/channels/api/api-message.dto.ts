import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsDefined, IsObject, IsIn, IsISO8601, IsInt, IsNotEmpty, IsOptional, IsString, IsUrl, Max, MaxLength, Min, ValidateNested } from 'class-validator';

export class ApiSenderDto {
  @ApiProperty({ description: 'The resident’s address in the sending system (an account id, an email, a phone number)', maxLength: 320 })
  @IsString() @IsNotEmpty() @MaxLength(320)
  address: string;

  @ApiPropertyOptional({ maxLength: 200 })
  @IsOptional() @IsString() @MaxLength(200)
  name?: string;
}

export class ApiAttachmentDto {
  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(255)
  filename: string;

  @ApiProperty() @IsString() @IsNotEmpty() @MaxLength(255)
  contentType: string;

  @ApiProperty({ description: 'Bytes' }) @IsInt() @Min(0) @Max(50 * 1024 * 1024)
  size: number;

  @ApiPropertyOptional() @IsOptional() @IsUrl({ require_tld: false })
  url?: string;
}

/** The generic API channel's inbound message (architecture brief §3). */
export class ApiInboundMessageDto {
  @ApiProperty({ description: 'Your id for this message: the same id again is a harmless repeat', maxLength: 200 })
  @IsString() @IsNotEmpty() @MaxLength(200)
  externalId: string;

  @ApiProperty({ type: ApiSenderDto })
  @IsDefined() @IsObject() @ValidateNested() @Type(() => ApiSenderDto)
  from: ApiSenderDto;

  @ApiProperty({ maxLength: 20000 })
  @IsString() @MaxLength(20000)
  text: string;

  @ApiPropertyOptional({ description: 'ISO-8601 time the resident sent it: the message\'s label only; the case runs on the time the hub received it' })
  @IsOptional() @IsISO8601({ strict: true })
  sentAt?: string;

  @ApiPropertyOptional({ type: [ApiAttachmentDto] })
  @IsOptional() @IsArray() @ArrayMaxSize(20) @ValidateNested({ each: true }) @Type(() => ApiAttachmentDto)
  attachments?: ApiAttachmentDto[];
}

export class IntakeResultDto {
  @ApiProperty() caseId: string;
  @ApiProperty({ example: 'C-2026-000123' }) reference: string;
  @ApiProperty() messageId: string;
}

/** What the receiving system may report about a reply it was sent (POST /channels/api/status). */
export const API_STATUSES = ['delivered', 'read', 'failed'] as const;
export type ApiStatus = (typeof API_STATUSES)[number];

export class ApiStatusDto {
  @ApiProperty({ description: 'The id your system answered with when it received the reply (its JSON `id`)', maxLength: 200 })
  @IsString() @IsNotEmpty() @MaxLength(200)
  providerMessageId: string;

  @ApiProperty({ enum: API_STATUSES })
  @IsIn(API_STATUSES as unknown as string[])
  status: ApiStatus;

  @ApiPropertyOptional({ description: 'Why it failed, shown to staff', maxLength: 500 })
  @IsOptional() @IsString() @MaxLength(500)
  reason?: string;
}

export class ApiStatusResultDto {
  @ApiProperty({ description: 'False when the message is unknown or already further along (callbacks may arrive out of order)' })
  applied: boolean;
}
