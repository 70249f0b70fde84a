import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsEnum, IsOptional, IsString, MaxLength } from 'class-validator';
import { AgentRole, Presence } from '../common/enum';

/** PATCH /api/v1/agents/:id: what an admin changes about a staff member's access; omitted fields stay. */
export class ChangeAccessDto {
  @ApiPropertyOptional({ enum: AgentRole })
  @IsOptional() @IsEnum(AgentRole, { message: `role must be one of ${Object.values(AgentRole).join(', ')}` })
  role?: AgentRole;

  @ApiPropertyOptional({ type: [String], description: 'Department slugs or ids: the agent works in exactly these' })
  @IsOptional() @IsArray() @ArrayMaxSize(100) @IsString({ each: true }) @MaxLength(100, { each: true })
  departments?: string[];

  @ApiPropertyOptional({ description: 'false deactivates the account: sign-in, tokens and open console sockets stop working' })
  @IsOptional() @IsBoolean()
  active?: boolean;
}

/** A staff member as the REST API shows them (sign-in, who am I, the agents list). */
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
