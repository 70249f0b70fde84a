import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';
import { AgentRole, Presence } from '../common/enum';

export class LoginDto {
  @ApiProperty({ example: 'sam.agent@council.gov.uk' })
  @IsString() @MinLength(3) @MaxLength(320)
  email: string;

  @ApiProperty({ example: 'correct horse battery staple', minLength: 1 })
  @IsString() @MinLength(1) @MaxLength(1024)
  password: string;
}

export class AgentDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() email: string;
  @ApiProperty() name: string;
  @ApiProperty({ enum: AgentRole }) role: AgentRole;
  @ApiProperty({ enum: Presence }) presence: Presence;
  @ApiProperty() capacity: number;
  @ApiProperty() active: boolean;
  @ApiProperty({ type: [String], format: 'uuid' }) departmentIds: string[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class SignedInDto {
  @ApiProperty({ description: 'Send as Authorization: Bearer <token> (REST) or auth: { token } (/console socket)' })
  token: string;

  @ApiProperty({ type: AgentDto })
  agent: AgentDto;
}
