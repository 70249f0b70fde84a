import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { AgentDto } from '../agents/agents.dto';

export class LoginDto {
  /** Trimmed, as it was when the account was made: a space pasted with the address is not a wrong address. */
  @ApiProperty({ example: 'sam.agent@council.gov.uk' })
  @Transform(({ value }) => (typeof value === 'string' ? value.trim() : value))
  @IsString() @MinLength(3) @MaxLength(320)
  email: string;

  @ApiProperty({ example: 'correct horse battery staple', minLength: 1 })
  @IsString() @MinLength(1) @MaxLength(1024)
  password: string;
}

export class SignedInDto {
  @ApiProperty({ description: 'Send as Authorization: Bearer <token> (REST) or auth: { token } (/console socket)' })
  token: string;

  @ApiProperty({ type: AgentDto })
  agent: AgentDto;
}
