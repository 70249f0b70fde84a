import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { AgentDto } from '../agents/agents.dto';

export class LoginDto {
  @ApiProperty({ example: 'sam.agent@council.gov.uk' })
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
