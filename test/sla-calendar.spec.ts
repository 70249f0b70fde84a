import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CaseStatus } from '../src/common/enum';
import { dueAfter, nextPauses, parseDuration, scheduleOf, targetMs } from '../src/sla/sla-clock';
import { toSlaView } from '../src/sla/sla.views';
import { WeeklyHours, WorkingCalendar } from '../src/departments/working-calendar';

const HOLIDAYS: string[] = JSON.parse(readFileSync(join(__dirname, '../config/bank-holidays.json'), 'utf8'))['england-and-wales'].events.map((e: { date: string }) => e.date);
const NINE_TO_FIVE: Array<[number, number]> = [[9 * 60, 17 * 60]];
const OFFICE: WeeklyHours = [[], NINE_TO_FIVE, NINE_TO_FIVE, NINE_TO_FIVE, NINE_TO_FIVE, NINE_TO_FIVE, []];
const ALWAYS: WeeklyHours = Array.from({ length: 7 }, () => [[0, 1440] as [number, number]]);
const HOUR = 3_600_000;
const MINUTE = 60_000;

/** A wall-clock time in London, written with its offset so the test says exactly which instant it means. */
const at = (iso: string) => new Date(iso);

describe(WorkingCalendar.name, () => {
  const sut = new WorkingCalendar('Europe/London', OFFICE, HOLIDAYS);

  describe('addWorkingTime', () => {
    it('carries Friday 16:30 + 2 working hours over the weekend to Monday 10:30', () => {
      expect(sut.addWorkingHours(at('2026-11-27T16:30:00Z'), 2)).toEqual(at('2026-11-30T10:30:00Z'));
    });

    it('ends at closing time when the hours run out exactly then, not at the next opening', () => {
      expect(sut.addWorkingMinutes(at('2026-11-27T16:30:00Z'), 30)).toEqual(at('2026-11-27T17:00:00Z'));
    });

    it('starts the clock at the next opening for an out-of-hours arrival (evening, night, weekend)', () => {
      expect(sut.addWorkingHours(at('2026-11-24T19:45:00Z'), 1)).toEqual(at('2026-11-25T10:00:00Z'));
      expect(sut.addWorkingHours(at('2026-11-25T03:00:00Z'), 1)).toEqual(at('2026-11-25T10:00:00Z'));
      expect(sut.addWorkingHours(at('2026-11-28T12:00:00Z'), 1)).toEqual(at('2026-11-30T10:00:00Z'));
    });

    it('skips Easter: Thursday before Good Friday + 2 hours is the Tuesday after Easter Monday', () => {
      // Good Friday 3 April and Easter Monday 6 April 2026, in BST (UTC+1)
      expect(sut.addWorkingHours(at('2026-04-02T16:00:00+01:00'), 2)).toEqual(at('2026-04-07T10:00:00+01:00'));
      // 2027: Good Friday 26 March, Easter Monday 29 March, and the clocks go forward on Sunday 28 March
      expect(sut.addWorkingHours(at('2027-03-25T16:00:00Z'), 2)).toEqual(at('2027-03-30T10:00:00+01:00'));
    });

    it('skips Christmas, Boxing Day and their substitute days', () => {
      // 2026: Christmas Friday 25, Boxing Day Saturday 26 → substitute Monday 28 December
      expect(sut.addWorkingHours(at('2026-12-24T16:00:00Z'), 2)).toEqual(at('2026-12-29T10:00:00Z'));
      // 2027: both fall at the weekend → Monday 27 and Tuesday 28 December
      expect(sut.addWorkingHours(at('2027-12-24T16:00:00Z'), 2)).toEqual(at('2027-12-29T10:00:00Z'));
      // 2028: New Year's Day on a Saturday → substitute Monday 3 January
      expect(sut.addWorkingHours(at('2027-12-31T16:00:00Z'), 2)).toEqual(at('2028-01-04T10:00:00Z'));
    });

    it('skips a bank holiday Monday', () => {
      // Spring bank holiday, Monday 25 May 2026
      expect(sut.addWorkingHours(at('2026-05-22T16:00:00+01:00'), 2)).toEqual(at('2026-05-26T10:00:00+01:00'));
      // Summer bank holiday, Monday 31 August 2026
      expect(sut.addWorkingDays(at('2026-08-28T12:00:00+01:00'), 1)).toEqual(at('2026-09-01T12:00:00+01:00'));
    });

    it('keeps local office hours across the clocks changing (GMT → BST in March, back in October)', () => {
      // Friday 27 March 2026 16:00 GMT + 2h → Monday 30 March 10:00 BST, which is 09:00 UTC
      expect(sut.addWorkingHours(at('2026-03-27T16:00:00Z'), 2)).toEqual(at('2026-03-30T09:00:00Z'));
      // Friday 23 October 2026 16:00 BST + 2h → Monday 26 October 10:00 GMT
      expect(sut.addWorkingHours(at('2026-10-23T16:00:00+01:00'), 2)).toEqual(at('2026-10-26T10:00:00Z'));
    });

    it('counts days as standard working days: Monday 10:00 + 2 days is Wednesday 10:00, 5 days a week later', () => {
      expect(sut.dayMs).toBe(8 * HOUR);
      expect(sut.addWorkingDays(at('2026-11-23T10:00:00Z'), 2)).toEqual(at('2026-11-25T10:00:00Z'));
      expect(sut.addWorkingDays(at('2026-11-23T10:00:00Z'), 5)).toEqual(at('2026-11-30T10:00:00Z'));
      // a Saturday message with one working day to go is due at the close of Monday
      expect(sut.addWorkingDays(at('2026-11-28T10:00:00Z'), 1)).toEqual(at('2026-11-30T17:00:00Z'));
    });

    it('returns the instant itself for no time at all', () => {
      expect(sut.addWorkingTime(at('2026-11-28T10:00:00Z'), 0)).toEqual(at('2026-11-28T10:00:00Z'));
    });

    it('handles split shifts (a lunch hour)', () => {
      const lunch = new WorkingCalendar('Europe/London', [[], [[540, 720], [780, 1020]], [], [], [], [], []]);
      expect(lunch.addWorkingHours(at('2026-11-23T11:30:00Z'), 1)).toEqual(at('2026-11-23T13:30:00Z'));
      expect(lunch.dayMs).toBe(7 * HOUR);
    });
  });

  describe('workingTimeBetween', () => {
    it('counts only working time: Friday 16:30 to Monday 10:30 is 2 hours', () => {
      expect(sut.workingTimeBetween(at('2026-11-27T16:30:00Z'), at('2026-11-30T10:30:00Z'))).toBe(2 * HOUR);
    });

    it('is zero over a weekend, a bank holiday, a night, and backwards', () => {
      expect(sut.workingTimeBetween(at('2026-11-27T17:00:00Z'), at('2026-11-30T09:00:00Z'))).toBe(0);
      expect(sut.workingTimeBetween(at('2026-12-25T00:00:00Z'), at('2026-12-29T00:00:00Z'))).toBe(0);
      expect(sut.workingTimeBetween(at('2026-11-24T18:00:00Z'), at('2026-11-25T08:59:00Z'))).toBe(0);
      expect(sut.workingTimeBetween(at('2026-11-25T12:00:00Z'), at('2026-11-25T10:00:00Z'))).toBe(0);
    });

    it('counts a week around Easter 2025 as three working days', () => {
      // Monday 14 to Monday 21 April 2025: Good Friday 18 and Easter Monday 21 are holidays
      expect(sut.workingDaysBetween(at('2025-04-14T09:00:00+01:00'), at('2025-04-21T17:00:00+01:00'))).toBe(4);
      expect(sut.workingDaysBetween(at('2025-04-15T09:00:00+01:00'), at('2025-04-22T09:00:00+01:00'))).toBe(3);
    });

    it('is the inverse of addWorkingTime', () => {
      const from = at('2026-12-23T15:12:00Z');
      for (const minutes of [1, 47, 480, 3000, 20_000]) {
        expect(sut.workingTimeBetween(from, sut.addWorkingMinutes(from, minutes))).toBe(minutes * MINUTE);
      }
    });

    it('sees 23 and 25 hour days on a round-the-clock calendar when the clocks change', () => {
      const always = new WorkingCalendar('Europe/London', ALWAYS);
      expect(always.workingTimeBetween(at('2026-03-29T00:00:00Z'), at('2026-03-29T23:00:00Z'))).toBe(23 * HOUR); // local midnight to midnight
      expect(always.workingTimeBetween(at('2026-10-24T23:00:00Z'), at('2026-10-26T00:00:00Z'))).toBe(25 * HOUR);
      expect(always.addWorkingHours(at('2026-03-28T23:30:00Z'), 2)).toEqual(at('2026-03-29T01:30:00Z'));
    });
  });

  it('knows the bank holidays it was given, and refuses a week without any opening', () => {
    expect(['2025-04-18', '2025-04-21', '2026-04-03', '2026-04-06', '2026-12-28', '2027-12-27', '2027-12-28', '2028-01-03'].every((d) => sut.isHoliday(d))).toBe(true);
    expect(sut.isHoliday('2026-12-26')).toBe(false); // a Saturday: its substitute is the holiday
    expect(['2026-11-27', '2026-12-24', '2026-12-29'].map((d) => sut.isWorkingDay(d))).toEqual([true, true, true]);
    expect(['2026-11-28', '2026-11-29', '2026-12-25', '2026-12-28', '2027-03-26'].map((d) => sut.isWorkingDay(d))).toEqual([false, false, false, false, false]);
    expect(sut.isWorkingTime(at('2026-11-27T16:59:00Z'))).toBe(true);
    expect(sut.isWorkingTime(at('2026-11-27T17:00:00Z'))).toBe(false);
    expect(() => new WorkingCalendar('Europe/London', [[], [], [], [], [], [], []])).toThrow(/no opening hours/);
  });
});

describe('SLA clocks', () => {
  const office = new WorkingCalendar('Europe/London', OFFICE, HOLIDAYS);

  describe(dueAfter.name, () => {
    it('pushes the due time out by the working time a pause took', () => {
      const created = at('2026-11-23T09:00:00Z'); // Monday
      const pause = { from: at('2026-11-23T10:00:00Z'), to: at('2026-11-24T11:00:00Z') }; // 7 h + 2 h of working time
      expect(dueAfter(office, created, 4 * HOUR, [])).toEqual(at('2026-11-23T13:00:00Z'));
      expect(dueAfter(office, created, 4 * HOUR, [pause])).toEqual(at('2026-11-24T14:00:00Z'));
    });

    it('ignores a pause over a weekend or at night (no working time passed)', () => {
      const created = at('2026-11-27T15:00:00Z'); // Friday
      const weekend = { from: at('2026-11-27T17:30:00Z'), to: at('2026-11-30T08:00:00Z') };
      expect(dueAfter(office, created, 4 * HOUR, [weekend])).toEqual(at('2026-11-30T11:00:00Z'));
    });

    it('leaves a missed target missed when the pause began after it was due', () => {
      const created = at('2026-11-23T09:00:00Z');
      expect(dueAfter(office, created, HOUR, [{ from: at('2026-11-23T12:00:00Z'), to: at('2026-11-25T12:00:00Z') }])).toEqual(at('2026-11-23T10:00:00Z'));
    });
  });

  it('warns at 80 % of the working time, not of the elapsed time', () => {
    const s = scheduleOf({
      createdAt: at('2026-11-27T15:00:00Z'), // Friday
      pauses: [],
      calendar: office,
      targets: { firstResponse: { amount: 5, unit: 'h' }, resolution: { amount: 2, unit: 'd' } },
      warningAt: 0.8,
    });
    expect(s.firstResponse).toEqual({ warnAt: at('2026-11-30T11:00:00Z'), dueAt: at('2026-11-30T12:00:00Z') });
    expect(s.resolution.dueAt).toEqual(at('2026-12-01T15:00:00Z'));
    expect(s.resolution.warnAt).toEqual(at('2026-12-01T11:48:00Z'));
  });

  it('opens a pause when the case goes pending and closes it when it comes back', () => {
    const pending = nextPauses(CaseStatus.Pending, { pausedSince: null, pauses: [] }, at('2026-11-23T10:00:00Z'), null);
    expect(pending).toEqual({ pausedSince: at('2026-11-23T10:00:00Z'), pauses: [] });
    expect(nextPauses(CaseStatus.Pending, pending, at('2026-11-23T11:00:00Z'), null)).toBe(pending);
    expect(nextPauses(CaseStatus.Open, pending, at('2026-11-24T11:00:00Z'), null)).toEqual({
      pausedSince: null,
      pauses: [{ from: at('2026-11-23T10:00:00Z'), to: at('2026-11-24T11:00:00Z') }],
    });
    expect(nextPauses(CaseStatus.Resolved, { pausedSince: null, pauses: [] }, at('2026-11-23T12:00:00Z'), at('2026-11-23T11:00:00Z')).pausedSince).toEqual(at('2026-11-23T11:00:00Z'));
  });

  describe(toSlaView.name, () => {
    const clocks = {
      sla_first_response_warn_at: at('2026-11-23T10:00:00Z'),
      sla_first_response_due_at: at('2026-11-23T11:00:00Z'),
      sla_resolution_warn_at: at('2026-11-25T10:00:00Z'),
      sla_resolution_due_at: at('2026-11-26T10:00:00Z'),
      sla_paused_since: null,
    };
    const open = { status: CaseStatus.Open, first_response_at: null, resolved_at: null, closed_at: null, ...clocks };

    it('is ok, then warning, then breached as the time passes', () => {
      expect(toSlaView(open, at('2026-11-23T09:30:00Z'))).toEqual({
        firstResponseDueAt: '2026-11-23T11:00:00.000Z',
        resolutionDueAt: '2026-11-26T10:00:00.000Z',
        state: 'ok',
        pausedSince: null,
      });
      expect(toSlaView(open, at('2026-11-23T10:00:00Z')).state).toBe('warning');
      expect(toSlaView(open, at('2026-11-23T11:00:00Z')).state).toBe('breached');
    });

    it('judges a met target when it was met: on time stays ok, late stays breached', () => {
      expect(toSlaView({ ...open, first_response_at: at('2026-11-23T09:40:00Z') }, at('2026-11-24T09:00:00Z')).state).toBe('ok');
      expect(toSlaView({ ...open, first_response_at: at('2026-11-23T11:30:00Z') }, at('2026-11-24T09:00:00Z')).state).toBe('breached');
      expect(toSlaView({ ...open, first_response_at: at('2026-11-23T09:40:00Z') }, at('2026-11-25T11:00:00Z')).state).toBe('warning'); // resolution
    });

    it('stands still while pending, and shows since when', () => {
      const pending = { ...open, status: CaseStatus.Pending, sla_paused_since: at('2026-11-23T09:30:00Z') };
      expect(toSlaView(pending, at('2026-11-27T09:00:00Z'))).toMatchObject({ state: 'ok', pausedSince: '2026-11-23T09:30:00.000Z' });
    });

    it('shows no due times (and ok) before they are computed', () => {
      expect(toSlaView({ status: CaseStatus.New, first_response_at: null, resolved_at: null, closed_at: null })).toEqual({
        firstResponseDueAt: null,
        resolutionDueAt: null,
        state: 'ok',
        pausedSince: null,
      });
    });
  });

  it('reads durations as working time and refuses ones without a unit', () => {
    expect(parseDuration('4h')).toEqual({ amount: 4, unit: 'h' });
    expect(parseDuration('2 working days')).toEqual({ amount: 2, unit: 'd' });
    expect(parseDuration('30 minutes')).toEqual({ amount: 30, unit: 'm' });
    expect(parseDuration('1.5h')).toEqual({ amount: 1.5, unit: 'h' });
    for (const bad of [4, '4', '0h', '-1h', '4 weeks', 'soon', null]) expect(parseDuration(bad)).toBeUndefined();
    expect(targetMs({ amount: 2, unit: 'd' }, office)).toBe(16 * HOUR);
  });
});
