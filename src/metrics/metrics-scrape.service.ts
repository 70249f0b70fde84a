import { Injectable } from '@nestjs/common';
import { MetricsService } from './metrics.service';

/**
 * Renders the Prometheus text, first refreshing what is read from the database rather than counted live (the queue
 * gauges: the supervisor module registers their refresh, one snapshot of every department per scrape).
 */
@Injectable()
export class MetricsScrapeService {
  constructor(private readonly metrics: MetricsService) {}

  get contentType(): string {
    return this.metrics.registry.contentType;
  }

  async render(): Promise<string> {
    await this.metrics.refreshBeforeScrape();
    return this.metrics.registry.metrics();
  }
}
