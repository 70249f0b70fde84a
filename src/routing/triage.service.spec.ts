import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CasePriority } from '../common/enum';
import { CouncilConfig } from '../config/council-config';
import { CatalogueService, DepartmentsService } from '../departments/departments.service';
import { TriageService } from './triage.service';

/** The catalogue as the database would hold it after start-up: department id = slug, service id = "svc-<lgsl>". */
function catalogue(config: CouncilConfig): Pick<DepartmentsService, 'serviceByLgsl'> {
  const byLgsl = new Map<number, CatalogueService>(config.services.map((s) => [s.lgsl, { id: `svc-${s.lgsl}`, lgsl: s.lgsl, name: s.name, departmentId: s.department }]));
  return { serviceByLgsl: (lgsl: number) => byLgsl.get(lgsl) };
}

describe(TriageService.name, () => {
  const config = CouncilConfig.load('config');
  const sut = new TriageService(config, catalogue(config) as DepartmentsService);
  const inbox = { inboxName: 'Web form', inboxDepartmentId: 'customer-services' };

  describe('decide', () => {
    it('picks the service, and its department, from a keyword', () => {
      expect(sut.decide({ ...inbox, text: 'Nobody came: missed bin again' })).toEqual({
        serviceId: 'svc-524',
        departmentId: 'waste',
        priority: CasePriority.Normal,
        matched: ['Missed bin'],
      });
    });

    it('matches whole words in any case, across line breaks and extra spaces', () => {
      expect(sut.decide({ ...inbox, text: 'A big\nPOTHOLE outside' }).serviceId).toBe('svc-573');
      expect(sut.decide({ ...inbox, text: 'the street   light is out' }).serviceId).toBe('svc-1011');
      expect(sut.decide({ ...inbox, text: 'firework display' }).priority).toBe(CasePriority.Normal); // "fire" is not "firework"
    });

    it('reads the subject as well as the text', () => {
      expect(sut.decide({ ...inbox, subject: 'Council tax bill', text: 'see above' }).departmentId).toBe('council-tax');
    });

    it('keeps the highest priority of all matching rules', () => {
      const d = sut.decide({ ...inbox, text: 'Pothole and a gas leak' });
      expect(d).toMatchObject({ serviceId: 'svc-573', departmentId: 'highways', priority: CasePriority.Urgent });
      expect(d.matched).toEqual(['Pothole', 'Danger to life']);
    });

    it('falls back to the inbox department and the default priority', () => {
      expect(sut.decide({ ...inbox, text: 'Hello, a question' })).toEqual({
        serviceId: null,
        departmentId: 'customer-services',
        priority: CasePriority.Normal,
        matched: [],
      });
    });

    it("uses the inbox's own service when one is configured", () => {
      const withInbox = new CouncilConfig(config.departments, config.services, { ...config.triage, inboxes: { 'Housing line': 1171 } });
      const triage = new TriageService(withInbox, catalogue(withInbox) as DepartmentsService);
      expect(triage.decide({ inboxName: 'Housing line', inboxDepartmentId: 'customer-services', text: 'hello' })).toMatchObject({ serviceId: 'svc-1171', departmentId: 'housing' });
    });
  });

  describe('escalation', () => {
    it('raises a priority and never lowers it', () => {
      expect(sut.escalation(CasePriority.Normal, 'now they are evicted')).toBe(CasePriority.High);
      expect(sut.escalation(CasePriority.Urgent, 'evicted')).toBeUndefined();
      expect(sut.escalation(CasePriority.High, 'thank you')).toBeUndefined();
    });
  });
});

describe('CouncilConfig.load', () => {
  function dirWith(triage: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'hub-config-'));
    copyFileSync(join('config', 'catalogue.yaml'), join(dir, 'catalogue.yaml'));
    writeFileSync(join(dir, 'triage.yaml'), triage);
    return dir;
  }

  it('loads the shipped configuration', () => {
    expect(CouncilConfig.load('config').services.length).toBeGreaterThan(10);
  });

  it.each([
    ['rules:\n  - { name: X, keywords: [a], service: 99999 }\n', /triage\.yaml: rules\[0\]\.service LGSL 99999 is not in the catalogue/],
    ['rules:\n  - { name: X, keywords: [], priority: high }\n', /rules\[0\]\.keywords must be a non-empty list/],
    ['rules:\n  - { name: X, keywords: [a], priority: extreme }\n', /rules\[0\]\.priority must be one of/],
    ['defaultPriority: whenever\n', /defaultPriority must be one of/],
    ['rules: [ [', /triage\.yaml cannot be read/],
  ])('names the file and entry of a mistake (%#)', (yaml, message) => {
    const dir = dirWith(yaml);
    try {
      expect(() => CouncilConfig.load(dir)).toThrow(message);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
