import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CouncilConfig } from '../config/council-config';
import { OpeningHours } from './opening-hours';

const CONFIG = join(__dirname, '../../config');
const council = CouncilConfig.load(CONFIG);

const HOURS = `
timeZone: Europe/London
hours:
  mon: "09:00-17:00"
  tue: "09:00-17:00"
  wed: "09:00-17:00"
  thu: "09:00-17:00"
  fri: "09:00-16:30"
departments:
  housing:
    hours: { mon: closed, tue: closed, wed: closed, thu: closed, fri: closed, sat: "10:00-12:00, 13:00-15:00" }
  adult-social-care:
    bankHolidays: false
    hours: { mon: "00:00-24:00", tue: "00:00-24:00", wed: "00:00-24:00", thu: "00:00-24:00", fri: "00:00-24:00", sat: "00:00-24:00", sun: "00:00-24:00" }
`;

describe(OpeningHours.name, () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-opening-hours-'));
    cpSync(CONFIG, dir, { recursive: true });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const load = (yaml: string) => {
    writeFileSync(join(dir, 'opening-hours.yaml'), yaml);
    return () => OpeningHours.load(dir, council);
  };

  describe('isOpen', () => {
    it('reads hours in London time, summer and winter', () => {
      const sut = load(HOURS)();
      expect(sut.isOpen('waste', new Date('2026-07-06T08:30:00Z'))).toBe(true); // Monday 09:30 BST
      expect(sut.isOpen('waste', new Date('2026-07-06T16:30:00Z'))).toBe(false); // 17:30 BST
      expect(sut.isOpen('waste', new Date('2026-01-05T08:30:00Z'))).toBe(false); // Monday 08:30 GMT
      expect(sut.isOpen('waste', new Date('2026-01-05T16:59:00Z'))).toBe(true);
    });

    it('is closed on a day left out, on a bank holiday, and from the closing minute', () => {
      const sut = load(HOURS)();
      expect(sut.isOpen('waste', new Date('2026-07-04T12:00:00Z'))).toBe(false); // Saturday
      expect(sut.isOpen('waste', new Date('2026-12-25T12:00:00Z'))).toBe(false); // Christmas, a Friday
      expect(sut.isOpen('waste', new Date('2026-12-28T12:00:00Z'))).toBe(false); // Boxing Day's substitute, a Monday
      expect(sut.isOpen('waste', new Date('2026-01-09T16:30:00Z'))).toBe(false); // Friday 16:30 GMT
    });

    it('uses a department’s own hours, with breaks, and bankHolidays: false', () => {
      const sut = load(HOURS)();
      expect(sut.isOpen('housing', new Date('2026-01-10T11:00:00Z'))).toBe(true);
      expect(sut.isOpen('housing', new Date('2026-01-10T12:30:00Z'))).toBe(false);
      expect(sut.isOpen('housing', new Date('2026-01-12T11:00:00Z'))).toBe(false);
      expect(sut.isOpen('adult-social-care', new Date('2026-12-25T03:00:00Z'))).toBe(true);
      expect(sut.calendarFor('adult-social-care').isHoliday('2026-12-25')).toBe(false);
    });
  });

  it('describes hours in plain English', () => {
    const sut = load(HOURS)();
    expect(sut.describe('waste')).toBe('Monday to Thursday 9am to 5pm; Friday 9am to 4:30pm; closed on bank holidays');
    expect(sut.describe('housing')).toBe('Saturday 10am to 12pm and 1pm to 3pm; closed on bank holidays');
    expect(sut.describe('adult-social-care')).toBe('Monday to Sunday midnight to midnight');
  });

  it('gives the same hours as data, for a client to word in its own language (the web chat widget)', () => {
    const sut = load(HOURS)();
    expect(sut.schedule('waste')).toEqual({
      timeZone: 'Europe/London',
      hours: [
        { days: ['mon', 'tue', 'wed', 'thu'], opens: '09:00', closes: '17:00' },
        { days: ['fri'], opens: '09:00', closes: '16:30' },
      ],
      closedOnBankHolidays: true,
    });
    expect(sut.schedule('housing').hours).toEqual([
      { days: ['sat'], opens: '10:00', closes: '12:00' },
      { days: ['sat'], opens: '13:00', closes: '15:00' },
    ]);
    expect(sut.schedule('adult-social-care')).toMatchObject({ hours: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], opens: '00:00', closes: '24:00' }], closedOnBankHolidays: false });
  });

  it('finds the next opening or closing, across weekends, holidays and clock changes', () => {
    const sut = load(HOURS)();
    expect(sut.nextChange('waste', new Date('2026-11-27T10:00:00Z'))).toEqual(new Date('2026-11-27T16:30:00Z')); // Friday: closes
    expect(sut.nextChange('waste', new Date('2026-11-27T16:30:00Z'))).toEqual(new Date('2026-11-30T09:00:00Z')); // opens Monday
    expect(sut.nextChange('waste', new Date('2026-12-24T17:00:00Z'))).toEqual(new Date('2026-12-29T09:00:00Z')); // after Christmas
    expect(sut.nextChange('waste', new Date('2026-03-27T17:00:00Z'))).toEqual(new Date('2026-03-30T08:00:00Z')); // 09:00 BST
    expect(sut.nextChange('housing', new Date('2026-01-10T11:00:00Z'))).toEqual(new Date('2026-01-10T12:00:00Z'));
    expect(sut.nextChange('adult-social-care', new Date('2026-01-10T11:00:00Z'))).toBeUndefined(); // never closes
  });

  it('is the shipped council’s: weekdays 9 to 5, adult social care longer, bank holidays closed', () => {
    const sut = OpeningHours.load(CONFIG, council);
    expect(sut.describe('waste')).toBe('Monday to Friday 9am to 5pm; closed on bank holidays');
    expect(sut.calendarFor('adult-social-care').dayMs).toBe(9 * 3_600_000);
  });

  it.each([
    [/opening-hours\.yaml: hours\.mon "9-5" is not hours such as 09:00-17:00/, 'hours: { mon: "9-5" }'],
    [/opening-hours\.yaml: hours\.mon "17:00-09:00" must start before it ends/, 'hours: { mon: "17:00-09:00" }'],
    [/opening-hours\.yaml: hours\.monday is not a known key/, 'hours: { monday: "09:00-17:00" }'],
    [/opening-hours\.yaml: hours must open on at least one day/, 'hours: { mon: closed }'],
    [/opening-hours\.yaml: hours\.tue has hours that overlap/, 'hours: { tue: "09:00-13:00, 12:00-17:00" }'],
    [/opening-hours\.yaml: timeZone "Mars\/Olympus" is not a time zone/, 'timeZone: Mars/Olympus\nhours: { mon: "09:00-17:00" }'],
    [/opening-hours\.yaml: departments\.parks names no department of catalogue\.yaml/, 'hours: { mon: "09:00-17:00" }\ndepartments:\n  parks: { hours: { mon: closed } }'],
    [/opening-hours\.yaml: departments\.waste\.hours\.sat "10-2" is not hours/, 'hours: { mon: "09:00-17:00" }\ndepartments:\n  waste: { hours: { sat: "10-2" } }'],
    [/opening-hours\.yaml: departments\.waste\.bankHolidays must be true/, 'hours: { mon: "09:00-17:00" }\ndepartments:\n  waste: { bankHolidays: maybe }'],
    [/opening-hours\.yaml: departments\.waste\.workingHours is not a known key/, 'hours: { mon: "09:00-17:00" }\ndepartments:\n  waste: { workingHours: {} }'],
    [/opening-hours\.yaml: bankHolidays\.division "scotland" is not in bank-holidays\.json/, 'hours: { mon: "09:00-17:00" }\nbankHolidays: { division: scotland }'],
    [/opening-hours\.yaml: bankHolidays\.file .*missing\.json cannot be read/, 'hours: { mon: "09:00-17:00" }\nbankHolidays: { file: missing.json }'],
    [/opening-hours\.yaml: default is not a known key/, 'hours: { mon: "09:00-17:00" }\ndefault: {}'],
    [/opening-hours\.yaml cannot be read/, 'hours: ['],
  ])('refuses a mistake, naming the key: %p', (message, yaml) => {
    expect(load(yaml)).toThrow(message);
  });
});
