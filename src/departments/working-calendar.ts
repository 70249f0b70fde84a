/**
 * Working time in one time zone: opening hours per weekday, minus bank holidays. Pure arithmetic on instants
 * (Date), with local wall-clock time found through Intl, so clock changes (Europe/London: BST from the last Sunday
 * of March, GMT from the last Sunday of October) are exact without a time-zone library.
 *
 * Opening hours are local minutes of the day, [start, end) with end up to 1440 (midnight at the end of the day).
 */

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;
/** How far ahead addWorkingTime looks before it gives up (a calendar with no opening at all is refused earlier). */
const MAX_DAYS = 366 * 30;

/** Local opening hours per weekday, Sunday first (as Date#getUTCDay numbers them): a list of [startMinute, endMinute). */
export type WeeklyHours = ReadonlyArray<ReadonlyArray<readonly [number, number]>>;

export class WorkingCalendar {
  private readonly zone: ZoneClock;
  private readonly holidays: ReadonlySet<string>;
  private readonly days = new Map<number, ReadonlyArray<readonly [number, number]>>();
  /** The length of a standard working day (what "1 working day" of a target means), in ms. */
  readonly dayMs: number;

  constructor(
    readonly timeZone: string,
    readonly week: WeeklyHours,
    holidays: Iterable<string> = [],
  ) {
    if (week.length !== 7) throw new Error('WorkingCalendar: the week must have 7 days, Sunday first');
    this.zone = ZoneClock.for(timeZone);
    this.holidays = new Set(holidays);
    this.dayMs = standardDayMinutes(week) * MINUTE_MS;
    if (this.dayMs === 0) throw new Error('WorkingCalendar: no opening hours on any day');
  }

  /** The instant at which `ms` of working time has passed since `from` (from itself when ms ≤ 0). */
  addWorkingTime(from: Date, ms: number): Date {
    const t = from.getTime();
    if (!(ms > 0)) return new Date(t);
    let remaining = ms;
    let day = this.zone.localDay(t);
    for (let i = 0; i < MAX_DAYS; i++, day++) {
      for (const [start, end] of this.openings(day)) {
        if (end <= t) continue;
        const begin = Math.max(start, t);
        if (remaining <= end - begin) return new Date(begin + remaining);
        remaining -= end - begin;
      }
    }
    throw new Error(`WorkingCalendar: no working time within ${MAX_DAYS} days of ${from.toISOString()}`);
  }

  addWorkingMinutes(from: Date, minutes: number): Date {
    return this.addWorkingTime(from, minutes * MINUTE_MS);
  }

  addWorkingHours(from: Date, hours: number): Date {
    return this.addWorkingTime(from, hours * 60 * MINUTE_MS);
  }

  /** N standard working days (dayMs each): Monday 10:00 + 2 days is Wednesday 10:00 on a Monday–Friday week. */
  addWorkingDays(from: Date, days: number): Date {
    return this.addWorkingTime(from, days * this.dayMs);
  }

  /** Working time between two instants, in ms (0 when `to` is not after `from`). */
  workingTimeBetween(from: Date, to: Date): number {
    const a = from.getTime();
    const b = to.getTime();
    if (!(b > a)) return 0;
    let total = 0;
    const last = this.zone.localDay(b);
    for (let day = this.zone.localDay(a); day <= last; day++) {
      for (const [start, end] of this.openings(day)) {
        const overlap = Math.min(end, b) - Math.max(start, a);
        if (overlap > 0) total += overlap;
      }
    }
    return total;
  }

  /** Working time between two instants in standard working days (fractional). */
  workingDaysBetween(from: Date, to: Date): number {
    return this.workingTimeBetween(from, to) / this.dayMs;
  }

  isWorkingTime(at: Date): boolean {
    const t = at.getTime();
    return this.openings(this.zone.localDay(t)).some(([start, end]) => start <= t && t < end);
  }

  /**
   * The next instant after `at` when working time starts or stops (opening hours that run on, such as 00:00-24:00 on
   * consecutive days, are one stretch); undefined when that is more than a year away (open round the clock).
   */
  nextChange(at: Date): Date | undefined {
    const t = at.getTime();
    const open = this.isWorkingTime(at);
    let day = this.zone.localDay(t);
    for (let i = 0; i < 400; i++, day++) {
      for (const [start, end] of this.openings(day)) {
        if (!open && start > t) return new Date(start);
        if (open && end > t && !this.isWorkingTime(new Date(end))) return new Date(end);
      }
    }
    return undefined;
  }

  /** Whether a local date (YYYY-MM-DD) has opening hours: its weekday opens and it is not a holiday. */
  isWorkingDay(date: string): boolean {
    const day = Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY_MS);
    return !this.holidays.has(date) && this.week[(((day + 4) % 7) + 7) % 7].length > 0;
  }

  /** Whether the calendar closes on any holiday at all (a team that works bank holidays: no). */
  get hasHolidays(): boolean {
    return this.holidays.size > 0;
  }

  /** Whether a local date (YYYY-MM-DD) is a holiday of this calendar. */
  isHoliday(date: string): boolean {
    return this.holidays.has(date);
  }

  /** The day's openings as instants (ms since the epoch), for a local day number (days since 1970-01-01). */
  private openings(day: number): ReadonlyArray<readonly [number, number]> {
    let found = this.days.get(day);
    if (found) return found;
    const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
    found = this.holidays.has(dateKey(day))
      ? []
      : this.week[weekday].map(([start, end]) => [this.zone.toInstant(day, start), this.zone.toInstant(day, end)] as const);
    if (this.days.size > 4000) this.days.clear();
    this.days.set(day, found);
    return found;
  }
}

/** YYYY-MM-DD of a local day number. */
export function dateKey(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** The most common opening length over the week's open days (the longer on a tie), in minutes. */
function standardDayMinutes(week: WeeklyHours): number {
  const counts = new Map<number, number>();
  for (const day of week) {
    const minutes = day.reduce((sum, [start, end]) => sum + (end - start), 0);
    if (minutes > 0) counts.set(minutes, (counts.get(minutes) ?? 0) + 1);
  }
  let best = 0;
  let bestCount = 0;
  for (const [minutes, count] of counts) {
    if (count > bestCount || (count === bestCount && minutes > best)) [best, bestCount] = [minutes, count];
  }
  return best;
}

/** Wall-clock arithmetic in one IANA time zone through Intl (one formatter per zone, reused). */
class ZoneClock {
  private static readonly zones = new Map<string, ZoneClock>();
  private readonly format: Intl.DateTimeFormat;

  private constructor(timeZone: string) {
    this.format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /** Throws RangeError for a time zone Intl does not know. */
  static for(timeZone: string): ZoneClock {
    let zone = this.zones.get(timeZone);
    if (!zone) this.zones.set(timeZone, (zone = new ZoneClock(timeZone)));
    return zone;
  }

  /** Local minus UTC at an instant, in ms (Europe/London: 0 in winter, 3,600,000 in summer). */
  offset(t: number): number {
    const whole = Math.floor(t / 1000) * 1000;
    const p: Record<string, number> = {};
    for (const part of this.format.formatToParts(new Date(whole))) if (part.type !== 'literal') p[part.type] = Number(part.value);
    return Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - whole;
  }

  /** The local day (days since 1970-01-01, local calendar) an instant falls on. */
  localDay(t: number): number {
    return Math.floor((t + this.offset(t)) / DAY_MS);
  }

  /**
   * The instant of a local wall-clock time (minute of a local day; 1440 is the next midnight). A time the clocks
   * skip (01:30 on the spring change) is read with the offset before the change, landing just after it; a time
   * that happens twice (01:30 on the autumn change) is the first of the two.
   */
  toInstant(day: number, minute: number): number {
    const wall = day * DAY_MS + minute * MINUTE_MS;
    const before = this.offset(wall - DAY_MS / 2);
    const after = this.offset(wall + DAY_MS / 2);
    const valid = [wall - before, wall - after].filter((t) => this.offset(t) === wall - t);
    return valid.length ? Math.min(...valid) : wall - before;
  }
}
