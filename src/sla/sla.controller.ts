import { Controller, Get, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../auth/actor';
import { CurrentAgent, Roles } from '../auth/decorators';
import { StaffGuard } from '../auth/staff.guard';
import { DtoPipe } from '../common/dto.pipe';
import { AgentRole } from '../common/enum';
import { BreachesQueryDto, SlaAlertListDto } from './sla.dto';
import { SlaService } from './sla.service';

@ApiTags('sla')
@ApiBearerAuth('staff-token')
@UseGuards(StaffGuard)
@ApiResponse({ status: 401, description: 'Not signed in' })
@Controller('api/v1/sla')
export class SlaController {
  constructor(private readonly sla: SlaService) {}

  @Get('breaches')
  @Roles(AgentRole.Supervisor, AgentRole.Admin)
  @ApiOperation({ summary: 'Open cases currently warned or breached, newest alert first (supervisors: your departments; admins: all)' })
  @ApiResponse({ status: 200, type: SlaAlertListDto })
  @ApiResponse({ status: 403, description: 'Agents may not list SLA alerts' })
  @ApiResponse({ status: 404, description: 'No such department among yours' })
  async breaches(@CurrentAgent() actor: Actor, @Query(DtoPipe) query: BreachesQueryDto): Promise<SlaAlertListDto> {
    return { alerts: await this.sla.listCurrent(actor, query.departmentId) };
  }
}
