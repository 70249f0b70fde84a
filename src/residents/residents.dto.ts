import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsUUID } from 'class-validator';
import { Channel } from '../common/enum';
import { IdentityRow, ResidentRow } from './resident.repository';

export class IdentityDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: Channel }) channel: Channel;
  @ApiProperty() address: string;
  @ApiPropertyOptional({ nullable: true }) displayName: string | null;
  @ApiProperty() verified: boolean;
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class ResidentDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiPropertyOptional({ nullable: true }) name: string | null;
  @ApiPropertyOptional({ format: 'uuid', nullable: true, description: 'Set once merged: the resident this one now lives on' }) mergedIntoId: string | null;
  @ApiProperty({ type: [IdentityDto] }) identities: IdentityDto[];
  @ApiProperty({ format: 'date-time' }) createdAt: string;
}

export class MergeResidentDto {
  @ApiProperty({ format: 'uuid', description: 'The resident to fold into this one: their identities and cases move here' })
  @IsUUID('all', { message: 'residentId must be a resident id (uuid)' })
  residentId: string;
}

export class MergeResultDto {
  @ApiProperty({ type: () => ResidentDto }) resident: ResidentDto;
  @ApiProperty({ format: 'uuid' }) mergedResidentId: string;
  @ApiProperty() identitiesMoved: number;
  @ApiProperty() casesMoved: number;
}

const iso = (d: Date | string): string => new Date(d).toISOString();

export function toResidentDto(r: ResidentRow, identities: IdentityRow[]): ResidentDto {
  return {
    id: r.id,
    name: r.name,
    mergedIntoId: r.merged_into_id,
    identities: identities.map((i) => ({
      id: i.id,
      channel: i.channel,
      address: i.address,
      displayName: i.display_name,
      verified: i.verified,
      createdAt: iso(i.created_at),
    })),
    createdAt: iso(r.created_at),
  };
}

