import { Body, Controller, Get, HttpCode, Param, Post, UploadedFile, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { AttachmentFileInterceptor } from '../attachments/attachment-upload';
import type { Actor } from '../auth/actor';
import { CurrentAgent } from '../auth/decorators';
import { StaffGuard } from '../auth/staff.guard';
import { DtoPipe } from '../common/dto.pipe';
import { HubError } from '../common/errors';
import { CaseAttachmentsService } from './case-attachments.service';
import { CaseAttachmentDto, CaseReplyDto, CaseTextDto } from './case-replies.dto';
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
    private readonly files: CaseAttachmentsService,
  ) {}

  @Get('compose-options')
  @ApiOperation({ summary: 'What may be sent now: free text, or (WhatsApp past 24 hours) only the approved templates listed, and why' })
  @ApiResponse({ status: 200, description: '{ freeText, reason, lastInboundAt, windowClosesAt, templates: [{ id, name, text, variables, language }] }' })
  async composeOptions(@CurrentAgent() actor: Actor, @Param('id') caseId: string): Promise<ComposeOptionsView> {
    return toComposeOptionsView(await this.compose.options(actor, caseId));
  }

  @Post('attachments')
  @HttpCode(201)
  @ApiConsumes('multipart/form-data')
  @ApiOperation({ summary: 'A file for a reply (multipart field "file"): images, PDF, docx, xlsx, odt, ods, 10 MB, typed from its bytes' })
  @ApiResponse({ status: 201, description: '{ attachment: { id, filename, contentType, size, url } }; name it in the reply’s attachmentIds' })
  @ApiResponse({ status: 404, description: 'No such case, or outside your departments' })
  @ApiResponse({ status: 413, description: 'Over 10 MB' })
  @ApiResponse({ status: 415, description: 'Content not allowed, whatever the name says' })
  @UseInterceptors(AttachmentFileInterceptor())
  async attach(@CurrentAgent() actor: Actor, @Param('id') caseId: string, @UploadedFile() file: Express.Multer.File | undefined): Promise<{ attachment: CaseAttachmentDto }> {
    if (!file) throw HubError.validation('file: a multipart field named "file" is required', { field: 'file' });
    const stored = await this.files.upload(actor, caseId, file);
    return { attachment: { id: stored.id, filename: stored.filename, contentType: stored.contentType, size: stored.size, url: stored.url } };
  }

  @Post('replies')
  @HttpCode(201)
  @ApiOperation({ summary: 'Reply to the resident on the case’s channel: stored as queued, delivered in the background' })
  @ApiBody({ type: CaseReplyDto })
  @ApiResponse({ status: 201, type: MessageDto })
  @ApiResponse({ status: 400, description: 'text missing, blank or over 4000 characters; both text and templateId; no such template; an attachmentId not staff’s file on this case; over 5 files' })
  @ApiResponse({ status: 409, description: 'The case is closed; the resident opted out; free text outside the WhatsApp window; attachments on a channel that cannot send them' })
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
