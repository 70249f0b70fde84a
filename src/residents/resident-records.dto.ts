import { ApiProperty } from '@nestjs/swagger';
import { CaseDto } from '../cases/case-query.dto';
import { ResidentDto } from './residents.dto';

/** A resident as staff see them: identities, and the cases they may see (newest first). */
export class ResidentProfileDto extends ResidentDto {
  @ApiProperty({ type: [CaseDto] }) cases: CaseDto[];
}
