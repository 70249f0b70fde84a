import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { CaseQueryModule } from '../cases/case-query.module';
import { MetricsController } from '../metrics/metrics.controller';
import { MetricsScrapeService } from '../metrics/metrics-scrape.service';
import { HealthController } from './health.controller';
import { HealthService } from './health.service';

/** The operations endpoints: GET /health for load balancers and orchestrators, GET /metrics for Prometheus. */
@Module({
  imports: [TerminusModule.forRoot({ errorLogStyle: 'pretty' }), CaseQueryModule],
  controllers: [HealthController, MetricsController],
  providers: [HealthService, MetricsScrapeService],
})
export class HealthModule {}
