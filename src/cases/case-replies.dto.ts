import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsOptional, IsString, IsUUID, MaxLength, MinLength, ValidateIf } from 'class-validator';
import { REPLY_ATTACHMENTS_MAX } from './case-attachments.service';
import { STAFF_TEXT_MAX } from './case-reply.service';

/** A reply to the resident or an internal note. The answer is the stored message (MessageDto). */
export class CaseTextDto {
  @ApiProperty({ description: 'Trimmed; card numbers are removed before it is stored', minLength: 1, maxLength: STAFF_TEXT_MAX })
  @IsString()
  text: string;
}

/** A reply: typed text, or one of the case's approved templates (WhatsApp past 24 hours). One of the two. */
export class CaseReplyDto {
  @ApiProperty({ required: false, description: 'Trimmed; card numbers are removed before it is stored', minLength: 1, maxLength: STAFF_TEXT_MAX })
  @ValidateIf((o: CaseReplyDto) => o.templateId === undefined)
  @IsString()
  text?: string;

  @ApiProperty({ required: false, description: 'An approved template of the case’s inbox, by id or name (GET …/compose-options lists them)' })
  @ValidateIf((o: CaseReplyDto) => o.text === undefined)
  @IsString()
  @MinLength(1)
  @MaxLength(600)
  templateId?: string;

  @ApiProperty({ required: false, type: [String], description: 'Up to 5 files staff attached to this case (POST …/attachments); email and web chat only' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(REPLY_ATTACHMENTS_MAX)
  @IsUUID('all', { each: true, message: 'attachmentIds must be attachment ids (uuid)' })
  attachmentIds?: string[];
}

/** A file staff attached to a case, for a reply to send. */
export class CaseAttachmentDto {
  @ApiProperty() id: string;
  @ApiProperty() filename: string;
  @ApiProperty({ description: 'Sniffed from the bytes' }) contentType: string;
  @ApiProperty() size: number;
  @ApiProperty({ description: 'Where staff open it' }) url: string;
}
