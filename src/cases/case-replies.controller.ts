import { Body, Controller, Get, HttpCode, Param, Post, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../auth/actor';
import { CurrentAgent } from '../auth/decorators';
import { StaffGuard } from '../auth/staff.guard';
import { DtoPipe } from '../common/dto.pipe';
import { CaseReplyDto, CaseTextDto } from './case-replies.dto';
import { MessageDto, toMessageDto } from './case-query.dto';
import { CaseComposeService } from './case-compose.service';
import { CaseReplyService } from './case-reply.service';
import { ComposeOptionsView, toComposeOptionsView } from './compose-options.view';

@ApiTags('cases')
@ApiBearerAuth('staff-token')
@UseGuards(StaffGuard)
@Controller('api/v1/cases/:id')
export class CaseRepliesController {
  constructor(
    private readonly replies: CaseReplyService,
    private readonly compose: CaseComposeService,
  ) {}

  @Get('compose-options')
  @ApiOperation({ summary: 'What may be sent now: free text, or (WhatsApp past 24 hours) only the approved templates listed, and why' })
  @ApiResponse({ status: 200, description: '{ freeText, reason, lastInboundAt, windowClosesAt, templates: [{ id, name, text, variables, language }] }' })
  async composeOptions(@CurrentAgent() actor: Actor, @Param('id') caseId: string): Promise<ComposeOptionsView> {
    return toComposeOptionsView(await this.compose.options(actor, caseId));
  }

  @Post('replies')
  @HttpCode(201)
  @ApiOperation({ summary: 'Reply to the resident on the case’s channel: stored as queued, delivered in the background' })
  @ApiBody({ type: CaseReplyDto })
  @ApiResponse({ status: 201, type: MessageDto })
  @ApiResponse({ status: 400, description: 'text missing, blank or over 4000 characters; both text and templateId; no such template' })
  @ApiResponse({ status: 409, description: 'The case is closed; the resident opted out; free text outside the WhatsApp window' })
  async reply(@CurrentAgent() actor: Actor, @Param('id') caseId: string, @Body(DtoPipe) dto: CaseReplyDto): Promise<MessageDto> {
    return toMessageDto(await this.replies.send(actor, caseId, dto));
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
