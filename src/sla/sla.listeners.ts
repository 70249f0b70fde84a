import { Injectable, Logger } from '@nestjs/common';
import { OnEvent } from '@nestjs/event-emitter';
import { HubEvents } from '../events/hub-events';
import { SlaService } from './sla.service';

/**
 * Committed case events → the case's SLA clocks, one method per event. Each recomputes from the case as it is now,
 * so events may arrive late or twice. Work on one case runs in order here (a chain per case), so two events of one
 * batch do not both write; a failure is logged and the sweep raises any alert it cost.
 */
@Injectable()
export class SlaListeners {
  private readonly logger = new Logger('Sla');
  private readonly chains = new Map<string, Promise<void>>();

  constructor(private readonly sla: SlaService) {}

  @OnEvent('case.created')
  onCaseCreated(e: HubEvents['case.created']): Promise<void> {
    return this.recompute(e.caseId);
  }

  /** Priority, status (pending stops the clocks, a reply or a reopen restarts them), first response. */
  @OnEvent('case.updated')
  onCaseUpdated(e: HubEvents['case.updated']): Promise<void> {
    return this.recompute(e.caseId);
  }

  /** Another department may have other working hours and another policy. */
  @OnEvent('case.transferred')
  onCaseTransferred(e: HubEvents['case.transferred']): Promise<void> {
    return this.recompute(e.caseId);
  }

  /** A claim or release can move a case between new, open and pending. */
  @OnEvent('case.assigned')
  onCaseAssigned(e: HubEvents['case.assigned']): Promise<void> {
    return this.recompute(e.caseId);
  }

  private recompute(caseId: string): Promise<void> {
    const next = (this.chains.get(caseId) ?? Promise.resolve())
      .then(() => this.sla.recompute(caseId))
      .catch((e: Error) => this.logger.warn(`SLA clocks of case ${caseId} not updated: ${e.stack ?? e.message}`))
      .finally(() => {
        if (this.chains.get(caseId) === next) this.chains.delete(caseId);
      });
    this.chains.set(caseId, next);
    return next;
  }
}
