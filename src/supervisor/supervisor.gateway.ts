import { UseFilters } from '@nestjs/common';
import { ConnectedSocket, OnGatewayInit, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import type { Namespace } from 'socket.io';
import { ConsoleExceptionFilter } from '../console/console-exception.filter';
import { CONSOLE_NAMESPACE, type ConsoleSocket, ok } from '../console/console.events';
import { SupervisorMetricsPush } from './supervisor-metrics.push';
import { SupervisorMetricsService } from './supervisor-metrics.service';

/**
 * The supervisor's commands on the console's socket (/console: same handshake, same acks). ConsoleGateway
 * authenticates sockets and joins supervisors to their `supervisors:<departmentId>` rooms; this adds
 * `metrics:live {}` → `{ ok, snapshot }` and hands the namespace to the 2-second push.
 */
@WebSocketGateway({ namespace: CONSOLE_NAMESPACE })
@UseFilters(ConsoleExceptionFilter)
export class SupervisorGateway implements OnGatewayInit<Namespace> {
  constructor(
    private readonly metrics: SupervisorMetricsService,
    private readonly push: SupervisorMetricsPush,
  ) {}

  afterInit(namespace: Namespace): void {
    this.push.attach(namespace);
  }

  @SubscribeMessage('metrics:live')
  async live(@ConnectedSocket() socket: ConsoleSocket) {
    return ok({ snapshot: await this.metrics.live(socket.data.actor) });
  }
}
