import { Controller, HttpCode, Post, RawBodyRequest, Req } from '@nestjs/common';
import { ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Request } from 'express';
import { Env } from '../../config/env';
import { requireJson, toRawRequest } from '../raw-request';
import { SlackEventsAnswer, SlackEventsService } from './slack-events.service';

@ApiTags('channels')
@Controller('channels/slack')
export class SlackController {
  constructor(
    private readonly events: SlackEventsService,
    private readonly env: Env,
  ) {}

  @Post('events')
  @HttpCode(200)
  @ApiOperation({ summary: 'Slack Events API: signed (5-minute window), url_verification answered, retries deduplicated by event_id' })
  @ApiResponse({ status: 200, description: '{ challenge } for url_verification, else { ok, outcome }' })
  @ApiResponse({ status: 403, description: 'Forged, missing or stale signature' })
  async receive(@Req() req: RawBodyRequest<Request>): Promise<SlackEventsAnswer> {
    requireJson(req);
    return this.events.receive(toRawRequest(req, this.env));
  }
}
