import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Roles } from '../auth/decorators';
import { StaffGuard } from '../auth/staff.guard';
import { AgentRole } from '../common/enum';
import { InboxDto, toInboxDto } from './inbox.dto';
import { InboxesService } from './inboxes.service';

@ApiTags('inboxes')
@ApiBearerAuth('staff-token')
@UseGuards(StaffGuard)
@Controller('api/v1/inboxes')
export class InboxesController {
  constructor(private readonly inboxes: InboxesService) {}

  @Get()
  @Roles(AgentRole.Admin)
  @ApiOperation({ summary: 'Every configured inbox, without tokens or secrets (admins)' })
  @ApiResponse({ status: 200, type: [InboxDto] })
  @ApiResponse({ status: 401, description: 'Not signed in' })
  @ApiResponse({ status: 403, description: 'Admins only' })
  async list(): Promise<InboxDto[]> {
    return (await this.inboxes.list()).map(toInboxDto);
  }
}
