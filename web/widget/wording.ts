import type { Availability, HubFailure, Lang, OpeningTimes, Weekday } from './protocol';
import type { Strings } from './strings';

/**
 * The hub sends data, the widget words it (docs/webchat-protocol.md, "Availability"): opening hours, when the chat
 * opens again, and error codes become sentences from the resident's language table, never the hub's English.
 */

const WEEK: readonly Weekday[] = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const SHORT_DAYS: Record<string, Weekday> = { Mon: 'mon', Tue: 'tue', Wed: 'wed', Thu: 'thu', Fri: 'fri', Sat: 'sat', Sun: 'sun' };
/** Further ahead than this, "on Monday" alone would be ambiguous: the date goes with it. */
const DAYS_NAMED_ALONE = 6;

/** "09:00" → "9am", "17:30" → "5:30pm", "00:00" and "24:00" → midnight (as the hub's English does). */
export function clockTime(s: Strings, hhmm: string): string {
  const m = /^(\d{1,2}):(\d{2})$/.exec(hhmm);
  if (!m) return hhmm;
  const h = Number(m[1]);
  const min = Number(m[2]);
  if ((h === 0 || h === 24) && min === 0) return s.midnight;
  return `${h % 12 === 0 ? 12 : h % 12}${min ? `:${m[2]}` : ''}${h < 12 ? 'am' : 'pm'}`;
}

/** The days of an entry: "Monday", "Monday to Friday" (consecutive), or "Monday, Wednesday and Friday". */
export function dayText(s: Strings, days: readonly Weekday[]): string {
  const ordered = WEEK.filter((d) => days.includes(d));
  if (!ordered.length) return '';
  const first = WEEK.indexOf(ordered[0]);
  const consecutive = ordered.every((d, i) => WEEK.indexOf(d) === first + i);
  if (ordered.length === 1) return s.days[ordered[0]];
  if (consecutive && ordered.length > 2) return s.dayRange(s.days[ordered[0]], s.days[ordered[ordered.length - 1]]);
  return s.dayList(ordered.map((d) => s.days[d]));
}

/** The week: "Monday to Friday 9am to 5pm; Saturday 10am to 12pm and 1pm to 3pm; closed on bank holidays". */
export function hoursText(s: Strings, hours: readonly OpeningTimes[], closedOnBankHolidays: boolean): string {
  const groups: Array<{ key: string; days: Weekday[]; times: string[] }> = [];
  for (const entry of hours) {
    const key = [...entry.days].sort().join(',');
    const time = s.timeRange(clockTime(s, entry.opens), clockTime(s, entry.closes));
    const group = groups.find((g) => g.key === key);
    if (group) group.times.push(time);
    else groups.push({ key, days: entry.days, times: [time] });
  }
  const parts = groups.map((g) => `${dayText(s, g.days)} ${g.times.join(` ${s.and} `)}`);
  if (closedOnBankHolidays && parts.length) parts.push(s.bankHolidaysClosed);
  return parts.join('; ');
}

/** When the chat opens again, in the council's time: "We open again tomorrow at 9am." ('' if it cannot say). */
export function nextOpenText(s: Strings, nextOpen: string, timeZone: string, now: Date): string {
  const at = new Date(nextOpen);
  if (Number.isNaN(at.getTime())) return '';
  let then: LocalTime;
  let today: LocalTime;
  try {
    then = localTime(at, timeZone);
    today = localTime(now, timeZone);
  } catch {
    return ''; // a time zone this browser does not know
  }
  const days = Math.round((Date.UTC(then.year, then.month - 1, then.day) - Date.UTC(today.year, today.month - 1, today.day)) / 86_400_000);
  const time = clockTime(s, `${String(then.hour).padStart(2, '0')}:${String(then.minute).padStart(2, '0')}`);
  const when =
    days <= 0 ? s.today : days === 1 ? s.tomorrow : s.onDay(s.days[then.weekday], days > DAYS_NAMED_ALONE ? `${then.day} ${s.months[then.month - 1]}` : null);
  return s.opensAgain(when, time);
}

/** The notice's parts while the chat is not open; an older hub (no `reason`, no `hours`) gets the English hours only in English. */
export function closedWording(s: Strings, lang: Lang, a: Availability, englishHours: string | undefined, now: Date): { title: string; next: string; hours: string } {
  const title = a.reason === 'closed' ? s.closedNow : s.closedTitle;
  const next = a.reason === 'closed' && a.nextOpen && a.timeZone ? nextOpenText(s, a.nextOpen, a.timeZone, now) : '';
  const hours = a.hours?.length ? hoursText(s, a.hours, !!a.closedOnBankHolidays) : lang === 'en' ? (englishHours ?? '') : '';
  return { title, next, hours };
}

/** The payload field a Validation error is about: named by the hub, else the start of its message ("email: …"). */
export function errorField(error: HubFailure): string | null {
  if (error.field) return error.field;
  const m = /^([A-Za-z]+)(?:\.[\w.]+)?(?:\s*:|\s+must\b)/.exec(error.message ?? '');
  return m ? m[1] : null;
}

/**
 * The widget's own sentence for an error: by field for Validation, by code otherwise. Only an unknown code in English
 * shows the hub's message (better than nothing); in Welsh the hub's English is never shown.
 */
export function errorSentence(s: Strings, lang: Lang, error: HubFailure, maxTextLength: number): string {
  if (error.code === 'Validation') {
    const field = errorField(error);
    if (field === 'text') return s.errMessageInvalid(maxTextLength);
    return (field && s.fieldErrors[field as keyof Strings['fieldErrors']]) || s.errors.Validation;
  }
  const known = s.errors[error.code as keyof Strings['errors']];
  if (known) return known;
  return lang === 'en' && error.message ? error.message : s.errors.Unavailable;
}

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  weekday: Weekday;
}

function localTime(at: Date, timeZone: string): LocalTime {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    weekday: 'short',
    hourCycle: 'h23',
  }).formatToParts(at);
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return {
    year: Number(part('year')),
    month: Number(part('month')),
    day: Number(part('day')),
    hour: Number(part('hour')) % 24,
    minute: Number(part('minute')),
    weekday: SHORT_DAYS[part('weekday')] ?? 'mon',
  };
}
