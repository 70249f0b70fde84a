import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics for the whole process; every counter is declared here, once. */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();

  readonly intake = new Counter({
    name: 'hub_intake_messages_total',
    help: 'Inbound messages taken by intake, by channel and outcome (new_case, threaded, reopened, duplicate, rejected, error)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly intakeBatch = new Histogram({
    name: 'hub_intake_batch_size',
    help: 'Inbound messages committed together in one intake transaction',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128],
    registers: [this.registry],
  });

  readonly delivery = new Counter({
    name: 'hub_delivery_outcomes_total',
    help: 'Outbound delivery attempts by channel and outcome (sent, retry, failed)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly queueDepth = new Gauge({
    name: 'hub_queue_depth',
    help: 'Cases waiting for an agent (status new, no assignee), by department',
    labelNames: ['department'] as const,
    registers: [this.registry],
  });

  readonly oldestWait = new Gauge({
    name: 'hub_queue_oldest_wait_seconds',
    help: 'How long the oldest waiting case has waited since it was created, by department (0 when none waits)',
    labelNames: ['department'] as const,
    registers: [this.registry],
  });

  readonly serviceLevelToday = new Gauge({
    name: 'hub_service_level_today_ratio',
    help: 'Cases created today (Europe/London) answered within the department target, divided by those offered (docs/metrics.md); absent when none was offered',
    labelNames: ['department'] as const,
    registers: [this.registry],
  });

  /** Work that refreshes gauges read from the database, run by /metrics before each scrape. */
  private readonly scrapeRefreshers: Array<() => Promise<void>> = [];

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'hub_process_' });
  }

  /** A module whose gauges come from the database registers their refresh here (no import of it from metrics/). */
  beforeScrape(refresh: () => Promise<void>): void {
    this.scrapeRefreshers.push(refresh);
  }

  async refreshBeforeScrape(): Promise<void> {
    await Promise.all(this.scrapeRefreshers.map((refresh) => refresh()));
  }
}
