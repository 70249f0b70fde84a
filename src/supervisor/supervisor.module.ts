import { Module, OnModuleInit } from '@nestjs/common';
import { DepartmentsModule } from '../departments/departments.module';
import { MetricsService } from '../metrics/metrics.service';
import { SlaModule } from '../sla/sla.module';
import { SupervisorMetricsController } from './supervisor-metrics.controller';
import { SupervisorMetricsPush } from './supervisor-metrics.push';
import { SupervisorMetricsRepository } from './supervisor-metrics.repository';
import { SupervisorMetricsService } from './supervisor-metrics.service';
import { SupervisorGateway } from './supervisor.gateway';

/** Supervisor metrics (docs/metrics.md): live snapshot and history over REST, the 2-second push, Prometheus gauges. */
@Module({
  imports: [DepartmentsModule, SlaModule],
  controllers: [SupervisorMetricsController],
  providers: [SupervisorMetricsRepository, SupervisorMetricsService, SupervisorMetricsPush, SupervisorGateway],
  exports: [SupervisorMetricsService],
})
export class SupervisorModule implements OnModuleInit {
  constructor(
    private readonly prometheus: MetricsService,
    private readonly metrics: SupervisorMetricsService,
  ) {}

  /** /metrics refreshes the per-department queue gauges from one snapshot of every department at each scrape. */
  onModuleInit(): void {
    this.prometheus.beforeScrape(async () => {
      const snapshot = await this.metrics.allDepartments();
      for (const gauge of [this.prometheus.queueDepth, this.prometheus.oldestWait, this.prometheus.serviceLevelToday]) gauge.reset();
      for (const d of snapshot.departments) {
        this.prometheus.queueDepth.set({ department: d.slug }, d.totals.waiting);
        this.prometheus.oldestWait.set({ department: d.slug }, d.totals.longestWaitSeconds ?? 0);
        if (d.totals.serviceLevel !== null) this.prometheus.serviceLevelToday.set({ department: d.slug }, d.totals.serviceLevel);
      }
    });
  }
}
