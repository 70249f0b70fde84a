import { Controller, Get, Param, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import type { Actor } from '../auth/actor';
import { CurrentAgent } from '../auth/decorators';
import { StaffGuard } from '../auth/staff.guard';
import { AttachmentService } from './attachment.service';
import { sendAttachment } from './send-attachment';

@ApiTags('attachments')
@ApiBearerAuth('staff-token')
@UseGuards(StaffGuard)
@ApiResponse({ status: 401, description: 'Not signed in' })
@Controller('api/v1/attachments')
export class AttachmentsController {
  constructor(private readonly attachments: AttachmentService) {}

  @Get(':id')
  @ApiOperation({ summary: 'The bytes of an attachment on a case you can see' })
  @ApiResponse({ status: 200, description: 'The file, with its sniffed content type' })
  @ApiResponse({ status: 404, description: 'No such attachment, not yet on a case, or its case is outside your departments' })
  async download(@CurrentAgent() actor: Actor, @Param('id') id: string, @Res() res: Response): Promise<void> {
    sendAttachment(res, await this.attachments.openForStaff(actor, id));
  }
}
