import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { CouncilConfig } from '../config/council-config';
import { knownKeys, readCouncilYaml } from '../config/council-yaml';
import { WeeklyHours, WorkingCalendar } from './working-calendar';

export const OPENING_HOURS_FILE = 'opening-hours.yaml';
const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
/** Monday first, as people read a week. */
const READING_ORDER = [1, 2, 3, 4, 5, 6, 0];

/**
 * config/opening-hours.yaml: when each department is open, the one source for both the SLA clocks (working time) and
 * the web chat (closed outside these hours). The council's hours per weekday in its time zone, bank holidays from
 * GOV.UK's bank-holidays.json (closed, unless a department works them), and a department's own hours. Loaded and
 * checked once at start-up: a mistake stops the hub naming the file and the key.
 */
export class OpeningHours {
  private constructor(
    private readonly calendars: Map<string, WorkingCalendar>,
    private readonly fallback: WorkingCalendar,
  ) {}

  static load(dir: string, council: Pick<CouncilConfig, 'departments'>): OpeningHours {
    const raw = readCouncilYaml(join(dir, OPENING_HOURS_FILE));
    known(raw, ['timeZone', 'hours', 'bankHolidays', 'departments'], '');
    const timeZone = checkTimeZone(raw.timeZone ?? 'Europe/London');
    const bank = raw.bankHolidays === undefined ? {} : raw.bankHolidays;
    if (typeof bank !== 'object' || bank === null || Array.isArray(bank)) fail('bankHolidays', 'must be { file, division }');
    known(bank as Record<string, unknown>, ['file', 'division'], 'bankHolidays.');
    const { file = 'bank-holidays.json', division = 'england-and-wales' } = bank as Record<string, unknown>;
    const holidays = loadBankHolidays(dir, String(file), String(division));
    const week = checkWeek(raw.hours, 'hours');

    const slugs = new Set(council.departments.map((d) => d.slug));
    const departments = raw.departments ?? {};
    if (typeof departments !== 'object' || departments === null || Array.isArray(departments)) fail('departments', 'must map department slugs to { hours, bankHolidays }');
    const calendars = new Map<string, WorkingCalendar>();
    for (const [slug, d] of Object.entries(departments as Record<string, unknown>)) {
      const where = `departments.${slug}`;
      if (!slugs.has(slug)) fail(where, `names no department of catalogue.yaml (${[...slugs].join(', ')})`);
      if (typeof d !== 'object' || d === null || Array.isArray(d)) fail(where, 'must be { hours, bankHolidays }');
      const own = d as Record<string, unknown>;
      known(own, ['hours', 'bankHolidays'], `${where}.`);
      if (own.bankHolidays !== undefined && typeof own.bankHolidays !== 'boolean') fail(`${where}.bankHolidays`, 'must be true (closed on bank holidays, the default) or false (open on them)');
      const hours = own.hours === undefined ? week : checkWeek(own.hours, `${where}.hours`, week);
      calendars.set(slug, calendar(timeZone, hours, own.bankHolidays === false ? [] : holidays, `${where}.hours`));
    }
    return new OpeningHours(calendars, calendar(timeZone, week, holidays, 'hours'));
  }

  /** The department's working calendar (its own hours, else the council's). */
  calendarFor(departmentSlug: string): WorkingCalendar {
    return this.calendars.get(departmentSlug) ?? this.fallback;
  }

  isOpen(departmentSlug: string, at = new Date()): boolean {
    return this.calendarFor(departmentSlug).isWorkingTime(at);
  }

  /** When the department next opens or closes; undefined if never within a year. */
  nextChange(departmentSlug: string, at = new Date()): Date | undefined {
    return this.calendarFor(departmentSlug).nextChange(at);
  }

  /**
   * The department's week as data, for clients that word it in their own language (the web chat widget): runs of
   * consecutive days (Monday first) with the same hours, one entry per opening of those days.
   */
  schedule(departmentSlug: string): OpeningSchedule {
    const calendar = this.calendarFor(departmentSlug);
    const hours: OpeningSchedule['hours'] = [];
    let run: { days: Weekday[]; ranges: ReadonlyArray<readonly [number, number]>; key: string } | undefined;
    const flush = () => run?.ranges.forEach(([from, to]) => hours.push({ days: run!.days, opens: hhmm(from), closes: hhmm(to) }));
    for (const day of READING_ORDER) {
      const ranges = calendar.week[day];
      const key = ranges.map(([from, to]) => `${from}-${to}`).join(',');
      if (key && run?.key === key) run.days.push(WEEKDAYS[day]);
      else {
        flush();
        run = key ? { days: [WEEKDAYS[day]], ranges, key } : undefined;
      }
    }
    flush();
    return { timeZone: calendar.timeZone, hours, closedOnBankHolidays: calendar.hasHolidays };
  }

  /** The hours in plain English for residents, e.g. "Monday to Thursday 9am to 5pm; Friday 9am to 4:30pm; closed on bank holidays". */
  describe(departmentSlug: string): string {
    const calendar = this.calendarFor(departmentSlug);
    const groups: Array<{ first: number; last: number; text: string }> = [];
    for (const day of READING_ORDER) {
      const text = calendar.week[day].map(([from, to]) => `${clock(from)} to ${clock(to)}`).join(' and ');
      const previous = groups[groups.length - 1];
      if (text && previous?.text === text && READING_ORDER.indexOf(previous.last) === READING_ORDER.indexOf(day) - 1) previous.last = day;
      else if (text) groups.push({ first: day, last: day, text });
    }
    const days = groups.map((g) => `${DAY_NAMES[g.first]}${g.first === g.last ? '' : ` to ${DAY_NAMES[g.last]}`} ${g.text}`).join('; ');
    return calendar.hasHolidays ? `${days}; closed on bank holidays` : days;
  }
}

export type Weekday = (typeof WEEKDAYS)[number];

export interface OpeningSchedule {
  /** The IANA zone the hours are in (the council's). */
  timeZone: string;
  /** Local times "HH:MM"; `closes` may be "24:00" (midnight at the end of the day). */
  hours: Array<{ days: Weekday[]; opens: string; closes: string }>;
  closedOnBankHolidays: boolean;
}

function hhmm(minutes: number): string {
  return `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
}

function clock(minutes: number): string {
  if (minutes === 0 || minutes === 24 * 60) return 'midnight';
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return `${h % 12 === 0 ? 12 : h % 12}${m ? `:${String(m).padStart(2, '0')}` : ''}${h < 12 ? 'am' : 'pm'}`;
}

function fail(where: string, problem: string): never {
  throw new Error(`Council configuration ${OPENING_HOURS_FILE}: ${where} ${problem}`);
}

const known = knownKeys(fail);

function checkTimeZone(zone: unknown): string {
  if (typeof zone !== 'string') fail('timeZone', 'must be an IANA time zone such as Europe/London');
  try {
    new Intl.DateTimeFormat('en-GB', { timeZone: zone });
  } catch {
    fail('timeZone', `"${zone}" is not a time zone this system knows (such as Europe/London)`);
  }
  return zone;
}

/** { mon: "09:00-17:00", …, sat: closed }; days left out take `inherit`'s hours (closed at the top level). */
function checkWeek(raw: unknown, where: string, inherit?: WeeklyHours): WeeklyHours {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(where, 'must map weekdays (mon … sun) to hours such as "09:00-17:00" or closed');
  const days = raw as Record<string, unknown>;
  known(days, WEEKDAYS, `${where}.`);
  return WEEKDAYS.map((day, i) => (days[day] === undefined ? (inherit?.[i] ?? []) : checkHours(days[day], `${where}.${day}`)));
}

/** "09:00-17:00", "08:30-12:30, 13:30-17:00", "00:00-24:00" or closed. */
function checkHours(raw: unknown, where: string): Array<[number, number]> {
  if (raw === 'closed' || raw === false || raw === null) return [];
  if (typeof raw !== 'string') fail(where, 'must be hours such as "09:00-17:00" (quoted), several separated by commas, or closed');
  const ranges = raw.split(',').map((part) => {
    const m = /^\s*(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})\s*$/.exec(part);
    const minute = (h: string, mm: string) => Number(h) * 60 + Number(mm);
    if (!m || Number(m[2]) > 59 || Number(m[4]) > 59) fail(where, `"${part.trim()}" is not hours such as 09:00-17:00`);
    const range: [number, number] = [minute(m[1], m[2]), minute(m[3], m[4])];
    if (range[1] > 1440 || range[0] >= range[1]) fail(where, `"${part.trim()}" must start before it ends, within the day (00:00-24:00)`);
    return range;
  });
  ranges.sort((a, b) => a[0] - b[0]);
  for (let i = 1; i < ranges.length; i++) if (ranges[i][0] < ranges[i - 1][1]) fail(where, 'has hours that overlap');
  return ranges;
}

function calendar(timeZone: string, week: WeeklyHours, holidays: string[], where: string): WorkingCalendar {
  if (week.every((day) => day.length === 0)) fail(where, 'must open on at least one day');
  return new WorkingCalendar(timeZone, week, holidays);
}

/** GOV.UK's bank-holidays.json shape: { "<division>": { division, events: [{ title, date: "YYYY-MM-DD", … }] } }. */
function loadBankHolidays(dir: string, file: string, division: string): string[] {
  const path = isAbsolute(file) ? file : join(dir, file);
  let doc: Record<string, { events?: Array<{ date?: unknown }> }>;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    fail('bankHolidays.file', `${path} cannot be read: ${(e as Error).message}`);
  }
  const events = doc[division]?.events;
  if (!Array.isArray(events)) fail('bankHolidays.division', `"${division}" is not in ${file} (it has ${Object.keys(doc).join(', ')})`);
  return events.map((e, i) => {
    if (typeof e?.date !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(e.date) || Number.isNaN(Date.parse(e.date))) {
      fail('bankHolidays.file', `${file}: ${division}.events[${i}].date must be a date such as 2026-12-25`);
    }
    return e.date;
  });
}
