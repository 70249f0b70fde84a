import { Controller, Get, HttpCode, Post, Query, RawBodyRequest, Req, Res } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { Env } from '../../config/env';
import { requireJson, toRawRequest } from '../raw-request';
import { MetaWebhookResult, MetaWebhookService } from './meta-webhook.service';

@ApiTags('channels')
@Controller('channels/meta')
export class MetaController {
  constructor(
    private readonly webhooks: MetaWebhookService,
    private readonly env: Env,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Meta webhook verification handshake: answers hub.challenge as plain text when hub.verify_token matches' })
  @ApiResponse({ status: 200, description: 'The challenge' })
  @ApiResponse({ status: 403, description: 'Wrong or missing verify token' })
  handshake(@Query() query: Record<string, unknown>, @Res() res: Response): void {
    const pick = (name: string) => query[`hub.${name}`] ?? (query.hub as Record<string, unknown> | undefined)?.[name];
    const challenge = this.webhooks.handshake(pick('mode'), pick('verify_token'), pick('challenge'));
    res.status(200).type('text/plain').send(challenge);
  }

  @Post()
  @HttpCode(200)
  @ApiOperation({ summary: 'Meta events (Messenger, Instagram, WhatsApp Cloud), signed with X-Hub-Signature-256; answered after storing' })
  @ApiResponse({ status: 200, description: 'Stored, duplicates, statuses applied and entries skipped' })
  @ApiResponse({ status: 403, description: 'Forged or missing signature' })
  async receive(@Req() req: RawBodyRequest<Request>): Promise<MetaWebhookResult> {
    requireJson(req);
    return this.webhooks.receive(toRawRequest(req, this.env));
  }
}
