import { Controller, Get, HttpCode, Param, ParseIntPipe, Post, RawBodyRequest, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiConsumes, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Actor } from '../../auth/actor';
import { CurrentAgent } from '../../auth/decorators';
import { StaffGuard } from '../../auth/staff.guard';
import { Request, Response } from 'express';
import { HubError } from '../../common/errors';
import { Env } from '../../config/env';
import { toRawRequest } from '../raw-request';
import { TwilioService } from './twilio.service';

/** Empty TwiML: we reply through the REST API (to get an id and status callbacks), never inline. */
export const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

@ApiTags('channels')
@Controller('channels/sms/twilio')
export class TwilioController {
  constructor(
    private readonly twilio: TwilioService,
    private readonly env: Env,
  ) {}

  @Post()
  @HttpCode(200)
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiOperation({ summary: 'Twilio inbound SMS, MMS and WhatsApp message webhook (X-Twilio-Signature); answered only after it is stored' })
  @ApiResponse({ status: 200, description: 'Empty TwiML' })
  async receive(@Req() req: RawBodyRequest<Request>, @Res() res: Response): Promise<void> {
    requireForm(req);
    await this.twilio.receive(toRawRequest(req, this.env));
    res.status(200).type('text/xml').send(EMPTY_TWIML);
  }

  @Post('status')
  @HttpCode(200)
  @ApiConsumes('application/x-www-form-urlencoded', 'application/json')
  @ApiOperation({ summary: 'Twilio message status callback (X-Twilio-Signature); repeats and late statuses are ignored' })
  @ApiResponse({ status: 200, description: 'Empty TwiML' })
  async status(@Req() req: RawBodyRequest<Request>, @Res() res: Response): Promise<void> {
    requireForm(req);
    await this.twilio.status(toRawRequest(req, this.env));
    res.status(200).type('text/xml').send(EMPTY_TWIML);
  }
}

/** Twilio posts forms; webhooks configured for JSON bodies are signed with bodySHA256 instead. */
function requireForm(req: Request): void {
  if (!req.is('application/x-www-form-urlencoded') && !req.is('application/json')) {
    throw HubError.validation('Content-Type must be application/x-www-form-urlencoded (or application/json with bodySHA256)');
  }
}

/** Staff open a resident's MMS or WhatsApp media through the hub: Twilio's media URLs need the account's credentials. */
@ApiTags('channels')
@ApiBearerAuth('staff-token')
@UseGuards(StaffGuard)
@Controller('api/v1/twilio/messages')
export class TwilioMediaController {
  constructor(private readonly twilio: TwilioService) {}

  @Get(':id/media/:index')
  @ApiOperation({ summary: 'One media item of an inbound MMS or WhatsApp message, fetched from Twilio (size and type limited)' })
  @ApiResponse({ status: 200, description: 'The media bytes with their content type' })
  @ApiResponse({ status: 404, description: 'No such message or media, or its case is outside your departments' })
  async media(@CurrentAgent() actor: Actor, @Param('id') id: string, @Param('index', ParseIntPipe) index: number, @Res() res: Response): Promise<void> {
    const media = await this.twilio.media(actor, id, index);
    res.status(200).type(media.contentType).setHeader('content-disposition', 'attachment');
    res.setHeader('x-content-type-options', 'nosniff');
    res.send(media.bytes);
  }
}
