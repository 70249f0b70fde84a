import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../auth/actor';
import { CurrentAgent } from '../auth/decorators';
import { StaffGuard } from '../auth/staff.guard';
import { DtoPipe } from '../common/dto.pipe';
import { CaseDetailDto, CaseListQueryDto, CasePageDto } from './case-query.dto';
import { CaseQueryService } from './case-query.service';

@ApiTags('cases')
@ApiBearerAuth('staff-token')
@UseGuards(StaffGuard)
@ApiResponse({ status: 401, description: 'Not signed in' })
@Controller('api/v1/cases')
export class CasesController {
  constructor(private readonly cases: CaseQueryService) {}

  @Get()
  @ApiOperation({ summary: 'The queue: your departments’ cases (all for admins), highest priority then oldest first, paged by cursor' })
  @ApiResponse({ status: 200, type: CasePageDto })
  @ApiResponse({ status: 400, description: 'A bad filter, limit or cursor, named in the message' })
  list(@CurrentAgent() actor: Actor, @Query(DtoPipe) query: CaseListQueryDto): Promise<CasePageDto> {
    return this.cases.list(actor, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One case with its messages, its resident and identities, and the resident’s other cases' })
  @ApiResponse({ status: 200, type: CaseDetailDto })
  @ApiResponse({ status: 404, description: 'No such case, or it belongs to a department you are not in' })
  detail(@CurrentAgent() actor: Actor, @Param('id') id: string): Promise<CaseDetailDto> {
    return this.cases.detail(actor, id);
  }
}
