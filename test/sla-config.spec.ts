import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CasePriority } from '../src/common/enum';
import { CouncilConfig } from '../src/config/council-config';
import { SlaConfig } from '../src/sla/sla-config';

const CONFIG = join(__dirname, '../config');
const council = CouncilConfig.load(CONFIG);

describe(SlaConfig.name, () => {
  describe('the shipped files', () => {
    const sut = SlaConfig.load(CONFIG, council);

    it('lists the England and Wales bank holidays 2024–2028 in GOV.UK’s shape, substitute days included', () => {
      const doc = JSON.parse(readFileSync(join(CONFIG, 'bank-holidays.json'), 'utf8'));
      const events: Array<{ title: string; date: string; notes: string; bunting: boolean }> = doc['england-and-wales'].events;
      expect(doc['england-and-wales'].division).toBe('england-and-wales');
      const year = (y: string) => events.filter((e) => e.date.startsWith(y)).map((e) => e.date.slice(5));
      expect(year('2024')).toEqual(['01-01', '03-29', '04-01', '05-06', '05-27', '08-26', '12-25', '12-26']);
      expect(year('2025')).toEqual(['01-01', '04-18', '04-21', '05-05', '05-26', '08-25', '12-25', '12-26']);
      expect(year('2026')).toEqual(['01-01', '04-03', '04-06', '05-04', '05-25', '08-31', '12-25', '12-28']);
      expect(year('2027')).toEqual(['01-01', '03-26', '03-29', '05-03', '05-31', '08-30', '12-27', '12-28']);
      expect(year('2028')).toEqual(['01-03', '04-14', '04-17', '05-01', '05-29', '08-28', '12-25', '12-26']);
      expect(events.filter((e) => e.notes === 'Substitute day').map((e) => `${e.title} ${e.date}`)).toEqual([
        'Boxing Day 2026-12-28',
        'Christmas Day 2027-12-27',
        'Boxing Day 2027-12-28',
        'New Year’s Day 2028-01-03',
      ]);
      // every holiday is a weekday, as substitutes make them
      expect(events.filter((e) => [0, 6].includes(new Date(`${e.date}T12:00:00Z`).getUTCDay()))).toEqual([]);
    });

    it('takes each target from the most specific entry: service, then department, then the defaults', () => {
      expect(sut.policyFor({ departmentSlug: 'waste', lgsl: 524, priority: CasePriority.Normal })).toEqual({
        targets: { firstResponse: { amount: 1, unit: 'd' }, resolution: { amount: 5, unit: 'd' } },
        source: 'policy.normal.firstResponse, policy.normal.resolution',
      });
      expect(sut.policyFor({ departmentSlug: 'adult-social-care', lgsl: 87, priority: CasePriority.Urgent })).toEqual({
        targets: { firstResponse: { amount: 30, unit: 'm' }, resolution: { amount: 1, unit: 'd' } },
        source: 'departments.adult-social-care.policy.urgent.firstResponse, policy.urgent.resolution',
      });
      expect(sut.policyFor({ departmentSlug: 'adult-social-care', lgsl: 1136, priority: CasePriority.Normal }).source).toBe(
        'services.1136.normal.firstResponse, services.1136.normal.resolution',
      );
      expect(sut.policyFor({ departmentSlug: 'customer-services', lgsl: null, priority: CasePriority.Low }).targets.resolution).toEqual({ amount: 10, unit: 'd' });
    });

    it('gives a department its own working hours, the others the council’s', () => {
      expect(sut.calendarFor('waste').dayMs).toBe(8 * 3_600_000);
      expect(sut.calendarFor('adult-social-care').dayMs).toBe(9 * 3_600_000);
      expect(sut.calendarFor('adult-social-care').isWorkingTime(new Date('2026-11-23T08:45:00Z'))).toBe(true);
      expect(sut.calendarFor('adult-social-care').isHoliday('2026-12-28')).toBe(true);
      expect(sut.warningAt).toBe(0.8);
    });
  });

  describe('start-up checks: a mistake names the file and the key', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'hub-sla-config-'));
      cpSync(CONFIG, dir, { recursive: true });
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    const load = (yaml: string) => {
      writeFileSync(join(dir, 'sla.yaml'), yaml);
      return () => SlaConfig.load(dir, council);
    };
    const base = `policy:
  urgent: { firstResponse: 1h, resolution: 1d }
  high: { firstResponse: 4h, resolution: 3d }
  normal: { firstResponse: 1d, resolution: 5d }
  low: { firstResponse: 2d, resolution: 10d }
`;

    it.each([
      [/sla\.yaml: policy\.urgent\.resolution is required/, base.replace('urgent: { firstResponse: 1h, resolution: 1d }', 'urgent: { firstResponse: 1h }')],
      [/policy\.high\.firstResponse "4" is not a duration of working time/, base.replace('firstResponse: 4h', 'firstResponse: 4')],
      [/policy\.high\.firstResponse "soon" is not a duration/, base.replace('firstResponse: 4h', 'firstResponse: soon')],
      [/policy\.critical is not a priority/, base.replace('urgent:', 'critical:')],
      [/warningAt must be a share of the target between 0 and 1/, `${base}warningAt: 80\n`],
      [/departments\.parks names no department of catalogue\.yaml/, `${base}departments:\n  parks: { policy: {} }\n`],
      [/sla\.yaml: workingHours has moved to opening-hours\.yaml \(as hours\)/, `${base}workingHours: { mon: "09:00-17:00" }\n`],
      [/sla\.yaml: departments\.waste\.bankHolidays has moved to opening-hours\.yaml/, `${base}departments:\n  waste: { bankHolidays: false }\n`],
      [/services\.99999 is not the LGSL id of a service in catalogue\.yaml/, `${base}services:\n  99999: { urgent: { firstResponse: 1h } }\n`],
      [/polcy is not a known key/, `${base}polcy: {}\n`],
      [/sla\.yaml cannot be read/, 'policy: ['],
    ])('refuses it, saying %p', (message, yaml) => {
      expect(load(yaml)).toThrow(message);
    });

    it('takes its working time from opening-hours.yaml, the one source of department hours', () => {
      writeFileSync(join(dir, 'opening-hours.yaml'), 'hours: { mon: "09:00-17:00" }\ndepartments:\n  housing: { bankHolidays: false, hours: { tue: "00:00-24:00" } }\n');
      const sut = load(base)();
      expect(sut.calendarFor('housing').isWorkingTime(new Date('2026-12-29T03:00:00Z'))).toBe(true); // a Tuesday
      expect(sut.calendarFor('waste').isWorkingTime(new Date('2026-11-30T10:00:00Z'))).toBe(true); // Monday 10:00
      expect(sut.calendarFor('waste').isWorkingTime(new Date('2026-12-01T10:00:00Z'))).toBe(false); // Tuesday
      expect(sut.calendarFor('waste').dayMs).toBe(8 * 3_600_000);
    });
  });
});
