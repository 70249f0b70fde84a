import { waitingFor } from '../console/format';

/** How the dashboard writes its figures: words for "nothing to measure yet", never a misleading 0. */

export const NONE = 'None yet';

export function duration(seconds: number | null): string {
  return seconds === null ? NONE : waitingFor(seconds * 1000);
}

export function percent(ratio: number | null): string {
  return ratio === null ? NONE : `${Math.round(ratio * 1000) / 10}%`;
}

export function count(n: number): string {
  return n.toLocaleString('en-GB');
}

const CLOCK = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', timeZone: 'Europe/London' });
const CLOCK_SECONDS = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: 'Europe/London' });

/** "14:05", UK time: "today" on the dashboard is the council's day. */
export function clock(iso: string | number): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : CLOCK.format(d);
}

export function clockSeconds(iso: string | number): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : CLOCK_SECONDS.format(d);
}

export const BAND_LABEL = {
  underOneDay: 'Under 1 working day',
  oneToThreeDays: '1 to 3 working days',
  threeToTenDays: '3 to 10 working days',
  overTenDays: 'Over 10 working days',
} as const;

const LONDON_HOUR = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', hourCycle: 'h23', timeZone: 'Europe/London' });

/** The midnight that ends the London day starting at `midnight`: 24 hours later, or 23 or 25 when the clocks change. */
export function nextMidnight(midnight: string): string {
  const next = Date.parse(midnight) + 86_400_000;
  const hour = Number(LONDON_HOUR.format(next));
  const shift = hour === 23 ? 3_600_000 : hour === 1 ? -3_600_000 : 0;
  return new Date(next + shift).toISOString();
}
