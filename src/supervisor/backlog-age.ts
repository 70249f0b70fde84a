import { BACKLOG_BAND_LIMITS, METRICS_TIME_ZONE } from './kpi-definitions';

/** A calendar date, 'YYYY-MM-DD'. */
export type LocalDate = string;

/** Monday to Friday: the default calendar of backlogCutoffs (the service passes each department's SLA calendar). */
export function isWeekday(date: LocalDate): boolean {
  const day = new Date(`${date}T12:00:00Z`).getUTCDay();
  return day !== 0 && day !== 6;
}

/** Today's date where the council is. */
export function localDate(at: Date, timeZone = METRICS_TIME_ZONE): LocalDate {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(at);
}

/**
 * The dates that split open cases into backlog age bands. A case created on date D has an age of N working days,
 * N = the working days after D up to and including today. Its age is at least k exactly when D is before the k-th
 * most recent working day on or before today; so each band limit is one date, and the SQL compares created_at with
 * local midnight of that date (an index range, no per-row calendar arithmetic).
 *
 * Returns the dates for the limits 1, 3 and 10 working days.
 */
export function backlogCutoffs(today: LocalDate, isWorkingDay: (d: LocalDate) => boolean = isWeekday): LocalDate[] {
  const cutoffs: LocalDate[] = [];
  const last = BACKLOG_BAND_LIMITS[BACKLOG_BAND_LIMITS.length - 1];
  let found = 0;
  for (let d = today, steps = 0; found < last; d = previousDate(d), steps++) {
    if (steps > 3660) throw new Error(`no ${last} working days in the ten years before ${today}: check the calendar`);
    if (!isWorkingDay(d)) continue;
    found++;
    if ((BACKLOG_BAND_LIMITS as readonly number[]).includes(found)) cutoffs.push(d);
  }
  return cutoffs;
}

function previousDate(d: LocalDate): LocalDate {
  const t = new Date(`${d}T12:00:00Z`);
  t.setUTCDate(t.getUTCDate() - 1);
  return t.toISOString().slice(0, 10);
}
