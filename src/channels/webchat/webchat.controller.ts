import { Body, Controller, Get, Headers, HttpCode, Param, Post, Query, Req, Res, UploadedFile, UseGuards, UseInterceptors } from '@nestjs/common';
import { ApiBody, ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { AttachmentFileInterceptor } from '../../attachments/attachment-upload';
import { sendAttachment } from '../../attachments/send-attachment';
import { bearerToken } from '../../common/bearer';
import { HubError } from '../../common/errors';
import { validateDto } from '../../common/validate';
import { WebchatSessionDto } from './webchat.dto';
import { WebchatSessionService } from './webchat-session.service';
import { AdmittedUpload, WebchatUploadGuard } from './webchat-upload.guard';
import { WebchatUploads } from './webchat-uploads.service';

/** The widget's HTTP routes; their CORS headers (any origin) come from webchat-cors.ts, mounted in bootstrap. */
@ApiTags('webchat')
@Controller('webchat/v1')
export class WebchatController {
  constructor(
    private readonly sessions: WebchatSessionService,
    private readonly uploads: WebchatUploads,
  ) {}

  @Post('session')
  @HttpCode(200)
  @ApiOperation({ summary: 'The widget starts or resumes a chat: a visitor token, whether the chat is open, the services' })
  @ApiBody({ type: WebchatSessionDto })
  @ApiResponse({ status: 200, description: 'docs/webchat-protocol.md' })
  @ApiResponse({ status: 401, description: 'identity hash does not match' })
  @ApiResponse({ status: 404, description: 'No web chat inbox has this token' })
  @ApiResponse({ status: 429, description: 'Too many sessions from this address' })
  async session(@Req() req: Request, @Body() body: unknown) {
    return this.sessions.start(validateDto(WebchatSessionDto, body), req.ip ?? 'unknown');
  }

  @Post('attachments')
  @HttpCode(201)
  @ApiConsumes('multipart/form-data')
  @ApiOperation({ summary: 'A resident’s file, typed from its bytes (PNG, JPEG, GIF, WebP, PDF, 10 MB); referenced by message:send' })
  @ApiResponse({ status: 201, description: '{ attachment: { id, filename, contentType, size } }' })
  @ApiResponse({ status: 413, description: 'Too big' })
  @ApiResponse({ status: 415, description: 'Content not allowed, whatever the name says' })
  @ApiResponse({ status: 401, description: 'No valid visitor token (answered before the file is read)' })
  @ApiResponse({ status: 429, description: 'Too many uploads (answered before the file is read)' })
  @UseGuards(WebchatUploadGuard)
  @UseInterceptors(AttachmentFileInterceptor())
  async upload(@Req() req: AdmittedUpload, @UploadedFile() file: Express.Multer.File | undefined) {
    if (!file) throw HubError.validation('file: a multipart field named "file" is required', { field: 'file' });
    return { attachment: await this.uploads.upload(req.visitor, file) };
  }

  @Get('attachments/:id')
  @ApiOperation({ summary: 'A file of the visitor’s own conversation (?token=<visitor token>)' })
  @ApiResponse({ status: 404, description: 'No such file in your conversation' })
  async download(@Param('id') id: string, @Query('token') token: string | undefined, @Headers('authorization') auth: string | undefined, @Res() res: Response): Promise<void> {
    sendAttachment(res, await this.uploads.open(token ?? bearerToken(auth), id));
  }
}
