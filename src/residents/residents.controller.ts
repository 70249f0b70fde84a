import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../auth/actor';
import { CurrentAgent, Roles } from '../auth/decorators';
import { StaffGuard } from '../auth/staff.guard';
import { DtoPipe } from '../common/dto.pipe';
import { AgentRole } from '../common/enum';
import { ResidentProfileDto } from './resident-records.dto';
import { ResidentRecordsService } from './resident-records.service';
import { MergeResidentDto, MergeResultDto } from './residents.dto';

@ApiTags('residents')
@ApiBearerAuth('staff-token')
@UseGuards(StaffGuard)
@ApiResponse({ status: 401, description: 'Not signed in' })
@Controller('api/v1/residents')
export class ResidentsController {
  constructor(private readonly residents: ResidentRecordsService) {}

  @Get(':id')
  @ApiOperation({ summary: 'A resident with their identities and the cases you may see' })
  @ApiResponse({ status: 200, type: ResidentProfileDto })
  @ApiResponse({ status: 404, description: 'No such resident, or none of their cases is in your departments' })
  get(@CurrentAgent() actor: Actor, @Param('id') id: string): Promise<ResidentProfileDto> {
    return this.residents.get(actor, id);
  }

  @Post(':id/merge')
  @HttpCode(200)
  @Roles(AgentRole.Supervisor, AgentRole.Admin)
  @ApiOperation({ summary: 'Merge another resident into this one: their identities and cases move here (supervisors and admins)' })
  @ApiBody({ type: MergeResidentDto })
  @ApiResponse({ status: 200, type: MergeResultDto })
  @ApiResponse({ status: 400, description: 'residentId missing, not a uuid, or the same resident' })
  @ApiResponse({ status: 403, description: 'Agents may not merge' })
  @ApiResponse({ status: 404, description: 'Either resident does not exist or is outside your departments' })
  @ApiResponse({ status: 409, description: 'Either resident was already merged' })
  merge(@CurrentAgent() actor: Actor, @Param('id') id: string, @Body(DtoPipe) dto: MergeResidentDto): Promise<MergeResultDto> {
    return this.residents.merge(actor, id, dto.residentId);
  }
}
