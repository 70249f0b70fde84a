import { Injectable, Logger, OnApplicationBootstrap, OnModuleDestroy } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Namespace, Socket } from 'socket.io';
import type { LiveSnapshot } from './kpi-definitions';
import { supervisedDepartments } from './supervisor-rooms';
import { SupervisorMetricsService } from './supervisor-metrics.service';

/** How often the live snapshot is recomputed for connected supervisors. */
export const METRICS_PUSH_INTERVAL_MS = 2000;

/**
 * Pushes `metrics:live` to supervisor sockets about every 2 seconds, when their figures changed.
 *
 * Each process computes for its own sockets only (the sockets in a `supervisors:<id>` room on this process) and
 * writes to them directly: no leader to elect or lease to expire in Redis, and no snapshot goes through the Redis
 * adapter to other processes. With several API processes the query runs once per tick on each process that holds a
 * supervisor (a few milliseconds each; docs/benchmarks.md), and none on a process that holds none.
 *
 * One tick: one query for the union of the connected supervisors' departments, one snapshot per distinct set of
 * departments (admins share one), and a socket gets its snapshot only if it differs from the last one it got
 * (a hash without `at`).
 */
@Injectable()
export class SupervisorMetricsPush implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('SupervisorMetrics');
  private readonly lastSent = new WeakMap<Socket, string>();
  private namespace?: Namespace;
  private timer?: NodeJS.Timeout;
  private running = false;

  constructor(private readonly metrics: SupervisorMetricsService) {}

  /** The /console namespace of this process (from SupervisorGateway.afterInit). */
  attach(namespace: Namespace): void {
    this.namespace = namespace;
  }

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => void this.tick(), METRICS_PUSH_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** One round of pushes; skipped while the previous one still runs, and free when no supervisor is connected here. */
  async tick(at = new Date()): Promise<void> {
    if (this.running || !this.namespace) return;
    const groups = this.supervisorsByScope();
    if (groups.size === 0) return;
    this.running = true;
    try {
      const scopes = [...groups.keys()];
      const snapshots = await this.metrics.liveFor(scopes.map((key) => (key ? key.split(',') : [])), at);
      scopes.forEach((key, i) => this.send(groups.get(key)!, snapshots[i]));
    } catch (e) {
      this.logger.warn(`metrics push failed: ${(e as Error).stack ?? String(e)}`);
    } finally {
      this.running = false;
    }
  }

  private supervisorsByScope(): Map<string, Socket[]> {
    const groups = new Map<string, Socket[]>();
    for (const socket of this.namespace?.sockets.values() ?? []) {
      const departments = supervisedDepartments(socket.rooms);
      if (!departments.length) continue;
      const key = departments.join(',');
      groups.set(key, [...(groups.get(key) ?? []), socket]);
    }
    return groups;
  }

  private send(sockets: Socket[], snapshot: LiveSnapshot): void {
    const hash = createHash('sha1').update(JSON.stringify({ ...snapshot, at: undefined })).digest('base64');
    for (const socket of sockets) {
      if (this.lastSent.get(socket) === hash) continue;
      this.lastSent.set(socket, hash);
      socket.emit('metrics:live', snapshot);
    }
  }
}
