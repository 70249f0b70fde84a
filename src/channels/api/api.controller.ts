import { Controller, Headers, HttpCode, Post, RawBodyRequest, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Request, Response } from 'express';
import { Channel } from '../../common/enum';
import { Env } from '../../config/env';
import { DeliveryService } from '../../delivery/delivery.service';
import { InboxesService } from '../../inboxes/inboxes.service';
import { IntakeService } from '../../intake/intake.service';
import { bearerToken } from '../../common/bearer';
import { requireJson, toRawRequest } from '../raw-request';
import { ApiInboundMessageDto, ApiStatusDto, ApiStatusResultDto, IntakeResultDto } from './api-message.dto';
import { ApiChannelAdapter } from './api.adapter';

@ApiTags('channels')
@Controller('channels/api')
export class ApiChannelController {
  constructor(
    private readonly adapter: ApiChannelAdapter,
    private readonly inboxes: InboxesService,
    private readonly intake: IntakeService,
    private readonly delivery: DeliveryService,
    private readonly env: Env,
  ) {}

  @Post('messages')
  @HttpCode(201)
  @ApiBearerAuth('inbox-token')
  @ApiOperation({ summary: 'A resident’s message from another system; answered only after it is stored' })
  @ApiBody({ type: ApiInboundMessageDto })
  @ApiResponse({ status: 201, type: IntakeResultDto, description: 'Stored on a case' })
  @ApiResponse({ status: 200, type: IntakeResultDto, description: 'The same externalId again: the first result' })
  async receive(@Req() req: RawBodyRequest<Request>, @Headers('authorization') auth: string | undefined, @Res({ passthrough: true }) res: Response): Promise<IntakeResultDto> {
    const inbox = await this.inboxes.authenticate(bearerToken(auth), Channel.Api);
    requireJson(req);
    const raw = toRawRequest(req, this.env);
    this.adapter.verify();
    const [message] = this.adapter.parseInbound(raw, inbox);
    const result = await this.intake.receive(message, inbox);
    if (result.duplicate) res.status(200);
    return { caseId: result.caseId, reference: result.reference, messageId: result.messageId };
  }

  @Post('status')
  @HttpCode(200)
  @ApiBearerAuth('inbox-token')
  @ApiOperation({ summary: 'What became of a reply: delivered, read or failed. Late or backward reports are ignored' })
  @ApiBody({ type: ApiStatusDto })
  @ApiResponse({ status: 200, type: ApiStatusResultDto })
  async status(@Req() req: RawBodyRequest<Request>, @Headers('authorization') auth: string | undefined): Promise<ApiStatusResultDto> {
    const inbox = await this.inboxes.authenticate(bearerToken(auth), Channel.Api);
    requireJson(req);
    const [update] = this.adapter.parseStatus(toRawRequest(req, this.env));
    const row = await this.delivery.applyProviderStatus(Channel.Api, update.providerMessageId, update.status, update.reason, inbox.id);
    return { applied: row !== undefined };
  }
}
