import { Body, Controller, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../auth/actor';
import { CurrentAgent } from '../auth/decorators';
import { StaffGuard } from '../auth/staff.guard';
import { DtoPipe } from '../common/dto.pipe';
import { CaseTextDto } from './case-replies.dto';
import { MessageDto, toMessageDto } from './case-query.dto';
import { CaseReplyService } from './case-reply.service';

@ApiTags('cases')
@ApiBearerAuth('staff-token')
@UseGuards(StaffGuard)
@Controller('api/v1/cases/:id')
export class CaseRepliesController {
  constructor(private readonly replies: CaseReplyService) {}

  @Post('replies')
  @HttpCode(201)
  @ApiOperation({ summary: 'Reply to the resident on the case’s channel: stored as queued, delivered in the background' })
  @ApiBody({ type: CaseTextDto })
  @ApiResponse({ status: 201, type: MessageDto })
  @ApiResponse({ status: 400, description: 'text missing, blank or over 4000 characters' })
  @ApiResponse({ status: 409, description: 'The case is closed' })
  async reply(@CurrentAgent() actor: Actor, @Param('id') caseId: string, @Body(DtoPipe) dto: CaseTextDto): Promise<MessageDto> {
    return toMessageDto(await this.replies.reply(actor, caseId, dto.text));
  }

  @Post('notes')
  @HttpCode(201)
  @ApiOperation({ summary: 'An internal note on the case: staff see it, the resident never does' })
  @ApiBody({ type: CaseTextDto })
  @ApiResponse({ status: 201, type: MessageDto })
  @ApiResponse({ status: 400, description: 'text missing, blank or over 4000 characters' })
  async addNote(@CurrentAgent() actor: Actor, @Param('id') caseId: string, @Body(DtoPipe) dto: CaseTextDto): Promise<MessageDto> {
    return toMessageDto(await this.replies.addNote(actor, caseId, dto.text));
  }
}
