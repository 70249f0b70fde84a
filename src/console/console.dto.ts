import { ArrayMaxSize, IsArray, IsBoolean, IsEnum, IsIn, IsInt, IsOptional, IsString, IsUUID, Max, MaxLength, Min, MinLength, ValidateIf } from 'class-validator';
import { CAPACITY_MAX } from '../agents/agent-presence.service';
import { STAFF_TEXT_MAX } from '../cases/case-reply.service';
import { CasePriority, CaseStatus, Channel, Presence } from '../common/enum';

/** Payloads of the /console commands (docs/console-protocol.md), checked with validateDto: a bad one is `Validation`. */

const uuid = (field: string) => ({ message: `${field} must be an id (uuid)` });

export class QueueListDto {
  @IsOptional() @IsUUID('all', uuid('departmentId'))
  departmentId?: string;

  @IsOptional() @IsEnum(Channel)
  channel?: Channel;

  @IsOptional() @IsArray() @ArrayMaxSize(5) @IsEnum(CaseStatus, { each: true })
  status?: CaseStatus[];
}

export class CaseIdDto {
  @IsUUID('all', uuid('caseId'))
  caseId: string;
}

export class ClaimNextDto {
  @IsOptional() @IsUUID('all', uuid('departmentId'))
  departmentId?: string;
}

export class ClaimDto extends CaseIdDto {
  @IsOptional() @IsBoolean()
  takeOver?: boolean;
}

export class TransferDto extends CaseIdDto {
  @IsOptional() @IsString() @MaxLength(100)
  departmentId?: string;

  @IsOptional() @IsUUID('all', uuid('agentId'))
  agentId?: string;

  @IsOptional() @IsString() @MaxLength(1000)
  note?: string;
}

/** Colleagues a case may be transferred to: of its own department, or of `departmentId` (an id or a slug). */
export class ColleaguesDto extends CaseIdDto {
  @IsOptional() @IsString() @MaxLength(100)
  departmentId?: string;
}

export class StatusDto extends CaseIdDto {
  @IsIn([CaseStatus.Open, CaseStatus.Pending, CaseStatus.Resolved, CaseStatus.Closed], { message: 'status must be one of open, pending, resolved, closed' })
  status: CaseStatus;
}

export class PriorityDto extends CaseIdDto {
  @IsEnum(CasePriority, { message: `priority must be one of ${Object.values(CasePriority).join(', ')}` })
  priority: CasePriority;
}

export class TextDto extends CaseIdDto {
  @IsString() @MinLength(1) @MaxLength(STAFF_TEXT_MAX * 2)
  text: string;
}

/** A typed reply (`text`) or one of the case's approved templates (`templateId`: its id or name), not both. */
export class ReplyDto extends CaseIdDto {
  @ValidateIf((o: ReplyDto) => o.templateId === undefined) @IsString() @MinLength(1) @MaxLength(STAFF_TEXT_MAX * 2)
  text?: string;

  @ValidateIf((o: ReplyDto) => o.text === undefined) @IsString() @MinLength(1) @MaxLength(600)
  templateId?: string;

  /** Files staff attached to the case (POST /api/v1/cases/:id/attachments), at most 5. */
  @IsOptional() @IsArray() @ArrayMaxSize(5) @IsUUID('all', { each: true, message: 'attachmentIds must be attachment ids (uuid)' })
  attachmentIds?: string[];

  /**
   * The client's own id for the reply (one per draft), echoed in the ack: the same (case, clientId) from the same agent
   * is one message, a repeat is acked with it and `duplicate: true`.
   */
  @IsOptional() @IsString() @MinLength(1) @MaxLength(100)
  clientId?: string;
}

export class CannedDto extends CaseIdDto {
  @IsString() @MaxLength(100)
  cannedId: string;
}

export class CannedListDto {
  @IsOptional() @IsUUID('all', uuid('departmentId'))
  departmentId?: string;
}

export class TypingDto extends CaseIdDto {
  @IsBoolean()
  typing: boolean;
}

export class PresenceDto {
  @IsEnum(Presence, { message: `presence must be one of ${Object.values(Presence).join(', ')}` })
  presence: Presence;
}

export class CapacityDto {
  @IsInt() @Min(0) @Max(CAPACITY_MAX)
  capacity: number;
}

export class RetryDto {
  @IsUUID('all', uuid('messageId'))
  messageId: string;
}

export class SyncDto {
  @IsString() @MinLength(1) @MaxLength(1000)
  since: string;

  /** Cases the client has open: their messages since the cursor come back too, and their rooms are joined again. */
  @IsOptional() @IsArray() @ArrayMaxSize(50) @IsUUID('all', { each: true, message: 'caseIds must be case ids (uuid)' })
  caseIds?: string[];
}
