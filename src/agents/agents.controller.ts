import { Body, Controller, Get, Param, Patch, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../auth/actor';
import { CurrentAgent, Roles } from '../auth/decorators';
import { StaffGuard } from '../auth/staff.guard';
import { AgentRole } from '../common/enum';
import { DtoPipe } from '../common/dto.pipe';
import { AgentDto, ChangeAccessDto } from './agents.dto';
import { Agent, AgentsService } from './agents.service';

@ApiTags('agents')
@ApiBearerAuth('staff-token')
@UseGuards(StaffGuard)
@Roles(AgentRole.Admin)
@ApiResponse({ status: 401, description: 'Not signed in' })
@ApiResponse({ status: 403, description: 'Admins only' })
@Controller('api/v1/agents')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  @Get()
  @ApiOperation({ summary: 'Every staff member, by name' })
  @ApiResponse({ status: 200, type: [AgentDto] })
  list(): Promise<Agent[]> {
    return this.agents.list();
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change a staff member’s role, departments or active flag; their open console sockets follow at once' })
  @ApiResponse({ status: 200, type: AgentDto })
  @ApiResponse({ status: 400, description: 'A bad role, an unknown department, or an agent left without one' })
  @ApiResponse({ status: 404, description: 'No such agent' })
  changeAccess(@CurrentAgent() actor: Actor, @Param('id') id: string, @Body(DtoPipe) dto: ChangeAccessDto): Promise<Agent> {
    return this.agents.changeAccess(actor, id, dto);
  }
}
