import { Controller, Get, HttpCode, Param, Post, Query, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../auth/actor';
import { CurrentAgent, Roles } from '../auth/decorators';
import { StaffGuard } from '../auth/staff.guard';
import { FailedMessagePageDto, MessageDto, PageQueryDto } from '../cases/case-query.dto';
import { DtoPipe } from '../common/dto.pipe';
import { AgentRole } from '../common/enum';
import { FailedMessagesService } from './failed-messages.service';

@ApiTags('messages')
@ApiBearerAuth('staff-token')
@UseGuards(StaffGuard)
@ApiResponse({ status: 401, description: 'Not signed in' })
@Controller('api/v1/messages')
export class MessagesController {
  constructor(private readonly failed: FailedMessagesService) {}

  @Get('failed')
  @Roles(AgentRole.Supervisor, AgentRole.Admin)
  @ApiOperation({ summary: 'Replies that failed for good on your departments’ cases, newest first, paged by cursor (supervisors and admins)' })
  @ApiResponse({ status: 200, type: FailedMessagePageDto })
  @ApiResponse({ status: 403, description: 'Agents may not list failed messages' })
  listFailed(@CurrentAgent() actor: Actor, @Query(DtoPipe) query: PageQueryDto): Promise<FailedMessagePageDto> {
    return this.failed.list(actor, query);
  }

  @Post(':id/retry')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send a failed reply again, for real: back to queued with a fresh round of attempts' })
  @ApiResponse({ status: 202, type: MessageDto, description: 'Queued again' })
  @ApiResponse({ status: 403, description: 'An agent who does not own the case: among agents only its owner re-sends (supervisors and admins may)' })
  @ApiResponse({ status: 404, description: 'No such message, or its case is outside your departments' })
  @ApiResponse({ status: 409, description: 'The message has not failed (Conflict), or its case is closed (InvalidTransition)' })
  retry(@CurrentAgent() actor: Actor, @Param('id') id: string): Promise<MessageDto> {
    return this.failed.retry(actor, id);
  }
}
