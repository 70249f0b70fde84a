import { Injectable } from '@nestjs/common';
import { DepartmentsService } from '../../departments/departments.service';
import { OpeningHours } from '../../departments/opening-hours';
import type { AvailabilityView, WebchatServerEvents } from './webchat.events';
import { WebchatReadRepository } from './webchat-read.repository';

const DEPARTMENTS_CACHE_MS = 60_000;
/** The median time to a first answer moves slowly: read once a minute per department, not on every push. */
const MEDIAN_CACHE_MS = 60_000;

/** Whether the chat is open (as data), and in English for older clients: docs/webchat-protocol.md, "Availability". */
export interface Availability extends AvailabilityView {
  /** The hours in English, e.g. "Monday to Friday 9am to 5pm; closed on bank holidays". */
  openingHours: string;
  /** Why the chat is closed, in English; null when open. */
  message: string | null;
}

/**
 * Whether anyone can answer now: the department's opening hours (config/opening-hours.yaml, bank holidays closed, the
 * same hours the SLA counts) and an available agent.
 * Closed, the widget says so and still takes the message. Also the queue position and expected wait of a case.
 */
@Injectable()
export class WebchatAvailabilityService {
  private slugs?: { at: number; byId: Map<string, { slug: string; name: string }> };
  private readonly medians = new Map<string, { at: number; seconds: number | null }>();

  constructor(
    private readonly hours: OpeningHours,
    private readonly reads: WebchatReadRepository,
    private readonly departments: DepartmentsService,
  ) {}

  async availability(departmentId: string, at = new Date()): Promise<Availability> {
    const slug = (await this.department(departmentId))?.slug ?? '';
    const schedule = this.hours.schedule(slug);
    const openingHours = this.hours.describe(slug);
    const week = { ...schedule, openingHours };
    if (!this.hours.isOpen(slug, at)) {
      const nextOpen = this.hours.nextChange(slug, at)?.toISOString() ?? null;
      return { open: false, reason: 'closed', nextOpen, ...week, message: `We are closed now. Opening hours: ${openingHours}. Leave a message and we will reply.` };
    }
    if ((await this.reads.availableAgents(departmentId)) === 0) {
      return { open: false, reason: 'nobody', nextOpen: null, ...week, message: 'Nobody is available to chat right now. Leave a message and we will reply.' };
    }
    return { open: true, reason: null, nextOpen: null, ...week, message: null };
  }

  /** The widget's `status` push: whether the chat is open, why not, the hours, and an English sentence. */
  async status(departmentId: string, at = new Date()): Promise<WebchatServerEvents['status']> {
    const now = await this.availability(departmentId, at);
    return { ...availabilityView(now), message: now.message ?? 'We are here to help.' };
  }

  /** The department's slug, for its opening hours (cached). */
  async slugOf(departmentId: string): Promise<string | undefined> {
    return (await this.department(departmentId))?.slug;
  }

  async departmentName(departmentId: string): Promise<string | null> {
    return (await this.department(departmentId))?.name ?? null;
  }

  /** The case's place in the queue and a rough wait, or nulls when it is not waiting. */
  async queue(caseId: string, departmentId: string): Promise<{ position: number | null; expectedWaitSeconds: number | null }> {
    const position = await this.reads.queuePosition(caseId);
    if (position === null) return { position: null, expectedWaitSeconds: null };
    return { position, expectedWaitSeconds: await this.expectedWait(departmentId, position) };
  }

  /**
   * A rough wait: the department's median time to a first answer this week, once per round of its available agents
   * ahead of this place. Null without history (a new hub), rather than a made-up figure.
   */
  async expectedWait(departmentId: string, position: number): Promise<number | null> {
    return (await this.waitEstimate(departmentId))(position);
  }

  /** expectedWait for any place in the department's queue, reading the figures once (a push to every waiting chat). */
  async waitEstimate(departmentId: string): Promise<(position: number) => number | null> {
    const [median, agents] = await Promise.all([this.medianFirstResponse(departmentId), this.reads.availableAgents(departmentId)]);
    return (position) => (median === null ? null : Math.round(median * Math.ceil(position / Math.max(1, agents))));
  }

  private async medianFirstResponse(departmentId: string): Promise<number | null> {
    const cached = this.medians.get(departmentId);
    if (cached && Date.now() - cached.at < MEDIAN_CACHE_MS) return cached.seconds;
    const seconds = await this.reads.medianFirstResponseSeconds(departmentId);
    this.medians.set(departmentId, { at: Date.now(), seconds });
    return seconds;
  }

  private async department(id: string): Promise<{ slug: string; name: string } | undefined> {
    if (!this.slugs || Date.now() - this.slugs.at > DEPARTMENTS_CACHE_MS) {
      const rows = await this.departments.list();
      this.slugs = { at: Date.now(), byId: new Map(rows.map((d) => [d.id, { slug: d.slug, name: d.name }])) };
    }
    return this.slugs.byId.get(id);
  }
}

/** Only the data fields (no English sentences), in the order the protocol lists them. */
export function availabilityView(a: AvailabilityView): AvailabilityView {
  return { open: a.open, reason: a.reason, nextOpen: a.nextOpen, timeZone: a.timeZone, hours: a.hours, closedOnBankHolidays: a.closedOnBankHolidays };
}
