import { Controller, Get, Headers, Query, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Actor } from '../auth/actor';
import { CurrentAgent, Roles } from '../auth/decorators';
import { StaffGuard } from '../auth/staff.guard';
import { AgentRole } from '../common/enum';
import { DtoPipe } from '../common/dto.pipe';
import { historyCsv } from './history-csv';
import type { History, LiveSnapshot } from './kpi-definitions';
import { HistoryQueryDto } from './supervisor-metrics.dto';
import { SupervisorMetricsService } from './supervisor-metrics.service';

@ApiTags('metrics')
@ApiBearerAuth('staff-token')
@UseGuards(StaffGuard)
@Roles(AgentRole.Supervisor, AgentRole.Admin)
@ApiResponse({ status: 401, description: 'Not signed in' })
@ApiResponse({ status: 403, description: 'Not a supervisor or admin' })
@Controller('api/v1/metrics')
export class SupervisorMetricsController {
  constructor(private readonly metrics: SupervisorMetricsService) {}

  @Get('live')
  @ApiOperation({ summary: 'The live snapshot of your departments (all for admins): queue, today’s service level, agents. Definitions: docs/metrics.md' })
  @ApiResponse({ status: 200, description: 'LiveSnapshot (docs/metrics.md)' })
  live(@CurrentAgent() actor: Actor): Promise<LiveSnapshot> {
    return this.metrics.live(actor);
  }

  @Get('history')
  @ApiOperation({ summary: 'Figures of the cases created in [from, to), per bucket × department × channel; CSV with format=csv or Accept: text/csv' })
  @ApiProduces('application/json', 'text/csv')
  @ApiResponse({ status: 200, description: 'History (docs/metrics.md), or the same rows as CSV' })
  @ApiResponse({ status: 400, description: 'A bad from, to, bucket, departmentId or format, named in the message' })
  async history(
    @CurrentAgent() actor: Actor,
    @Query(DtoPipe) query: HistoryQueryDto,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<History | string> {
    const history = await this.metrics.history(actor, query);
    if (query.format !== 'csv' && !(query.format === undefined && /\btext\/csv\b/.test(accept ?? ''))) return history;
    res.type('text/csv; charset=utf-8');
    res.setHeader('Content-Disposition', `attachment; filename="metrics-${history.bucket}-${history.from.slice(0, 10)}.csv"`);
    return historyCsv(history);
  }
}
