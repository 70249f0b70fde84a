import { CaseStatus } from '../common/enum';
import { WorkingCalendar } from '../departments/working-calendar';

/** The two clocks of a case. */
export enum SlaTarget {
  FirstResponse = 'firstResponse',
  Resolution = 'resolution',
}

export enum SlaAlertKind {
  Warning = 'warning',
  Breach = 'breach',
}

export type SlaState = 'ok' | 'warning' | 'breached';

/** A target as sla.yaml writes it: an amount of working seconds, minutes, hours or (standard) days. */
export interface TargetDuration {
  amount: number;
  unit: 's' | 'm' | 'h' | 'd';
}

/** A stretch of time the clocks did not run (the case was pending on the resident, or resolved before it reopened). */
export interface Pause {
  from: Date;
  to: Date;
}

export interface TargetClock {
  dueAt: Date;
  warnAt: Date;
}

export type Schedule = Record<SlaTarget, TargetClock>;

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000 } as const;

/** Working ms of a target on a calendar: days are the calendar's standard working day. */
export function targetMs(target: TargetDuration, calendar: WorkingCalendar): number {
  return Math.round(target.amount * (target.unit === 'd' ? calendar.dayMs : UNIT_MS[target.unit]));
}

/** "4h", "30 minutes", "2 working days", "90s" → a TargetDuration; undefined when it is not one. */
export function parseDuration(text: unknown): TargetDuration | undefined {
  if (typeof text === 'number') return undefined; // a bare number has no unit: refused, so nobody guesses
  if (typeof text !== 'string') return undefined;
  const m = /^(\d+(?:\.\d+)?)\s*(?:working\s+)?(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)$/i.exec(text.trim());
  if (!m) return undefined;
  const amount = Number(m[1]);
  if (!(amount > 0)) return undefined;
  return { amount, unit: m[2][0].toLowerCase() as TargetDuration['unit'] };
}

export function formatDuration(d: TargetDuration): string {
  const word = { s: 'second', m: 'minute', h: 'hour', d: 'day' }[d.unit];
  return `${d.amount} working ${word}${d.amount === 1 ? '' : 's'}`;
}

/**
 * The instant at which `ms` of working time has run since `start`, the clock standing still during the pauses.
 * A pause that begins after that instant changes nothing: a target missed stays missed.
 */
export function dueAfter(calendar: WorkingCalendar, start: Date, ms: number, pauses: readonly Pause[]): Date {
  let t = start;
  let remaining = ms;
  for (const p of [...pauses].sort((a, b) => a.from.getTime() - b.from.getTime())) {
    if (p.to <= t) continue;
    const ran = calendar.workingTimeBetween(t, p.from > t ? p.from : t);
    if (ran >= remaining) break;
    remaining -= ran;
    t = p.to;
  }
  return calendar.addWorkingTime(t, remaining);
}

export interface ClockInput {
  createdAt: Date;
  pauses: readonly Pause[];
  calendar: WorkingCalendar;
  targets: Record<SlaTarget, TargetDuration>;
  /** 0 < warningAt < 1: the share of a target after which a warning is raised. */
  warningAt: number;
}

export function scheduleOf(input: ClockInput): Schedule {
  const clock = (target: TargetDuration): TargetClock => {
    const ms = targetMs(target, input.calendar);
    return {
      dueAt: dueAfter(input.calendar, input.createdAt, ms, input.pauses),
      warnAt: dueAfter(input.calendar, input.createdAt, Math.round(ms * input.warningAt), input.pauses),
    };
  };
  return { [SlaTarget.FirstResponse]: clock(input.targets.firstResponse), [SlaTarget.Resolution]: clock(input.targets.resolution) };
}

/** Statuses in which the clocks stand still: waiting on the resident, or answered (until the case reopens). */
export function clockStopped(status: CaseStatus): boolean {
  return status === CaseStatus.Pending || status === CaseStatus.Resolved;
}

export interface PauseState {
  pausedSince: Date | null;
  pauses: Pause[];
}

/**
 * The pauses after a change of status: a stop opens a pause (from when the case last changed, i.e. when it stopped),
 * a restart closes it (at the change that restarted it). `changedAt` is the case's updated_at.
 */
export function nextPauses(status: CaseStatus, current: PauseState, changedAt: Date, resolvedAt: Date | null): PauseState {
  if (status === CaseStatus.Closed) return current;
  const stopped = clockStopped(status);
  if (stopped && !current.pausedSince) {
    return { pausedSince: status === CaseStatus.Resolved && resolvedAt ? resolvedAt : changedAt, pauses: current.pauses };
  }
  if (!stopped && current.pausedSince) {
    const to = changedAt > current.pausedSince ? changedAt : current.pausedSince;
    return { pausedSince: null, pauses: [...current.pauses, { from: current.pausedSince, to }] };
  }
  return current;
}

/** When a target was met: the first reply for the first response; resolving (or closing) for the resolution. */
export function metAt(target: SlaTarget, c: { first_response_at: Date | null; resolved_at: Date | null; closed_at: Date | null; status: CaseStatus }): Date | null {
  if (target === SlaTarget.FirstResponse) return c.first_response_at;
  if (c.status === CaseStatus.Resolved) return c.resolved_at;
  if (c.status === CaseStatus.Closed) return c.resolved_at ?? c.closed_at;
  return null;
}

/** The alert a target calls for at `now` (the clock's own now: the pause's start while paused), if any. */
export function alertDue(clock: TargetClock, now: Date): SlaAlertKind | null {
  if (now >= clock.dueAt) return SlaAlertKind.Breach;
  if (now >= clock.warnAt) return SlaAlertKind.Warning;
  return null;
}
