import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { DepartmentsService } from '../../departments/departments.service';
import { OpeningHours } from '../../departments/opening-hours';
import { RealtimeService } from '../../realtime/realtime.service';
import { WebchatAvailabilityService } from './webchat-availability.service';
import { WEBCHAT_NAMESPACE, WebchatRooms } from './webchat.events';

/** Looked at again at least this often, so a changed clock (or a department added) is noticed. */
const MAX_WAIT_MS = 60 * 60 * 1000;
/** A timer may fire a moment early: wake just after the boundary, not just before it. */
const SLACK_MS = 250;

/**
 * Opening and closing times reach the widgets left open across them: one timer for the whole hub, set for the next
 * time any department opens or closes (config/opening-hours.yaml). When it fires, each department whose hours changed
 * gets one `status` push to its room, whatever the number of widgets waiting in it. Every process runs its own timer
 * and pushes to its own sockets only, so a widget hears it once.
 */
@Injectable()
export class WebchatOpeningTimes implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Webchat');
  /** Whether each department (by id) was open at the last look. */
  private readonly known = new Map<string, boolean>();
  private timer?: NodeJS.Timeout;
  private stopped = false;

  constructor(
    private readonly hours: OpeningHours,
    private readonly departments: DepartmentsService,
    private readonly availability: WebchatAvailabilityService,
    private readonly realtime: RealtimeService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.tick();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** Announces what changed since the last look, then sleeps until the next opening or closing. */
  private async tick(): Promise<void> {
    const now = new Date();
    let next = now.getTime() + MAX_WAIT_MS;
    try {
      for (const { id, slug } of await this.departments.list()) {
        const open = this.hours.isOpen(slug, now);
        if (this.known.has(id) && this.known.get(id) !== open) await this.announce(id);
        this.known.set(id, open);
        next = Math.min(next, (this.hours.nextChange(slug, now)?.getTime() ?? Infinity) + SLACK_MS);
      }
    } catch (e) {
      this.logger.warn(`opening hours push failed: ${(e as Error).message}`);
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), Math.max(0, next - Date.now()));
    this.timer.unref();
  }

  /** The department's waiting widgets on this process hear whether the chat is open now. */
  private async announce(departmentId: string): Promise<void> {
    if (!this.realtime.anyoneListening(WEBCHAT_NAMESPACE)) return;
    this.realtime.emitLocal(WEBCHAT_NAMESPACE, [WebchatRooms.department(departmentId)], 'status', await this.availability.status(departmentId));
  }
}
