import { backlogCutoffs, isWeekday, localDate } from './backlog-age';

describe('backlogCutoffs', () => {
  it('gives the 1st, 3rd and 10th working day back from today, today included', () => {
    // Wednesday 25 November 2026: working days back are 25, 24, 23 (Mon), 20 (Fri), …, 12 (Thu).
    expect(backlogCutoffs('2026-11-25')).toEqual(['2026-11-25', '2026-11-23', '2026-11-12']);
  });

  it('starts from the last working day when today is a weekend', () => {
    expect(backlogCutoffs('2026-11-29')).toEqual(['2026-11-27', '2026-11-25', '2026-11-16']);
  });

  it('skips the calendar’s holidays (Christmas and Boxing Day 2026, the latter moved to Monday 28)', () => {
    const holidays = new Set(['2026-12-25', '2026-12-28']);
    const cutoffs = backlogCutoffs('2026-12-29', (d) => isWeekday(d) && !holidays.has(d));
    expect(cutoffs).toEqual(['2026-12-29', '2026-12-23', '2026-12-14']);
  });

  it('refuses a calendar with no working day at all instead of looping for ever', () => {
    expect(() => backlogCutoffs('2026-11-25', () => false)).toThrow('no 10 working days');
  });
});

describe('localDate', () => {
  it('is the London date: 23:30 UTC in summer is already tomorrow', () => {
    expect(localDate(new Date('2026-07-01T23:30:00Z'))).toBe('2026-07-02');
    expect(localDate(new Date('2026-12-01T23:30:00Z'))).toBe('2026-12-01');
  });
});
