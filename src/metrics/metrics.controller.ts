import { Controller, Get, Res } from '@nestjs/common';
import { ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import { Response } from 'express';
import { MetricsScrapeService } from './metrics-scrape.service';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(private readonly scrape: MetricsScrapeService) {}

  @Get()
  @ApiOperation({ summary: 'Prometheus metrics (text exposition format)' })
  @ApiProduces('text/plain')
  @ApiResponse({ status: 200, description: 'hub_intake_messages_total, hub_queue_depth, hub_queue_oldest_wait_seconds, hub_service_level_today_ratio, hub_delivery_outcomes_total, process metrics…' })
  async metrics(@Res({ passthrough: true }) res: Response): Promise<string> {
    const text = await this.scrape.render();
    res.type(this.scrape.contentType);
    return text;
  }
}
