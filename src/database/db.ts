import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { EventBus } from '../events/event-bus';
import { HubEventName, HubEvents, PendingEvent } from '../events/hub-events';

/** What a unit of work sees: its transaction's manager (the only one to use inside it) and an event outbox. */
export interface Tx {
  readonly manager: EntityManager;
  emit<N extends HubEventName>(name: N, payload: HubEvents[N]): void;
}

/**
 * Runs units of work. Events emitted inside a transaction are published only after it commits, so listeners
 * never see data that could still roll back. Keep transactions short and never call the network inside one
 * (the embedded database has one transaction at a time).
 */
@Injectable()
export class Db {
  constructor(
    @InjectDataSource() readonly dataSource: DataSource,
    private readonly events: EventBus,
  ) {}

  get manager(): EntityManager {
    return this.dataSource.manager;
  }

  async transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    const outbox: PendingEvent[] = [];
    const result = await this.dataSource.transaction((manager) =>
      work({ manager, emit: (name, payload) => outbox.push({ name, payload } as PendingEvent) }),
    );
    this.events.publishAll(outbox);
    return result;
  }

  /** For callers that manage several units in one transaction (the intake batch) and publish later. */
  async rawTransaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  publish(events: PendingEvent[]): void {
    this.events.publishAll(events);
  }
}
