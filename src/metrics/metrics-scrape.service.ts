import { Injectable } from '@nestjs/common';
import { CaseQueryService } from '../cases/case-query.service';
import { MetricsService } from './metrics.service';

/** Renders the Prometheus text, first refreshing what is read from the database rather than counted live. */
@Injectable()
export class MetricsScrapeService {
  constructor(
    private readonly metrics: MetricsService,
    private readonly cases: CaseQueryService,
  ) {}

  get contentType(): string {
    return this.metrics.registry.contentType;
  }

  async render(): Promise<string> {
    await this.refreshQueueDepth();
    return this.metrics.registry.metrics();
  }

  /** One count per scrape; departments with nothing waiting report 0 rather than vanishing. */
  private async refreshQueueDepth(): Promise<void> {
    const depths = await this.cases.queueDepthByDepartment();
    this.metrics.queueDepth.reset();
    for (const { department, waiting } of depths) this.metrics.queueDepth.set({ department }, waiting);
  }
}
