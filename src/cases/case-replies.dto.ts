import { ApiProperty } from '@nestjs/swagger';
import { IsString } from 'class-validator';
import { STAFF_TEXT_MAX } from './case-reply.service';

/** A reply to the resident or an internal note. The answer is the stored message (MessageDto). */
export class CaseTextDto {
  @ApiProperty({ description: 'Trimmed; card numbers are removed before it is stored', minLength: 1, maxLength: STAFF_TEXT_MAX })
  @IsString()
  text: string;
}
