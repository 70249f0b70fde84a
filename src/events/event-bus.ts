import { Injectable, Logger } from '@nestjs/common';
import { EventEmitter2 } from '@nestjs/event-emitter';
import { HubEventName, HubEvents, PendingEvent } from './hub-events';

/**
 * Publishes domain events to in-process listeners (`@OnEvent`). Only ever called after the transaction that
 * produced the events committed. A listener's failure is logged and never undoes the write: work that must
 * happen is a job, enqueued by a listener.
 */
@Injectable()
export class EventBus {
  private readonly logger = new Logger(EventBus.name);

  constructor(private readonly emitter: EventEmitter2) {}

  publish<N extends HubEventName>(name: N, payload: HubEvents[N]): void {
    this.emitter.emitAsync(name, payload).catch((e) => this.logger.error(`listener of ${name} failed: ${(e as Error).stack}`));
  }

  publishAll(events: PendingEvent[]): void {
    for (const e of events) this.publish(e.name, e.payload as never);
  }
}
