import { join } from 'node:path';
import { CasePriority, enumValues } from '../common/enum';
import { CouncilConfig } from '../config/council-config';
import { knownKeys, readCouncilYaml } from '../config/council-yaml';
import { OpeningHours, OPENING_HOURS_FILE } from '../departments/opening-hours';
import { WorkingCalendar } from '../departments/working-calendar';
import { formatDuration, parseDuration, SlaTarget, TargetDuration } from './sla-clock';
const TARGETS = [SlaTarget.FirstResponse, SlaTarget.Resolution] as const;

export type Targets = Record<SlaTarget, TargetDuration>;
type PartialTargets = Partial<Targets>;
type PolicyTable = Partial<Record<CasePriority, PartialTargets>>;

/** The targets a case gets, and which entry of sla.yaml they came from (shown in docs and logs). */
export interface AppliedPolicy {
  targets: Targets;
  source: string;
}

/** Keys that moved from sla.yaml to opening-hours.yaml (one source of department hours for the SLA and the web chat). */
const MOVED = ['timeZone', 'workingHours', 'bankHolidays'];

/**
 * config/sla.yaml: the first-response and resolution targets per priority, for every service, a department or one
 * service (LGSL id). Working time is the departments' opening hours (config/opening-hours.yaml, OpeningHours).
 * Loaded and checked once at start-up: a mistake stops the hub naming the file and the key.
 */
export class SlaConfig {
  private constructor(
    readonly warningAt: number,
    private readonly hours: OpeningHours,
    private readonly defaults: Record<CasePriority, Targets>,
    private readonly byDepartment: Map<string, PolicyTable>,
    private readonly byService: Map<number, PolicyTable>,
  ) {}

  /** `hours`: the hub's one OpeningHours (SlaModule passes it); loaded from the same folder when not given. */
  static load(dir: string, council: Pick<CouncilConfig, 'departments' | 'services'>, hours = OpeningHours.load(dir, council)): SlaConfig {
    const raw = readCouncilYaml(join(dir, 'sla.yaml'));
    for (const key of MOVED) if (raw[key] !== undefined) fail(key, `has moved to ${OPENING_HOURS_FILE} (${key === 'workingHours' ? 'as hours' : `as ${key}`}), which the web chat reads too`);
    known(raw, ['warningAt', 'policy', 'departments', 'services'], '');
    const warningAt = raw.warningAt ?? 0.8;
    if (typeof warningAt !== 'number' || !(warningAt > 0 && warningAt < 1)) fail('warningAt', 'must be a share of the target between 0 and 1, such as 0.8');

    const slugs = new Set(council.departments.map((d) => d.slug));
    const lgsls = new Set(council.services.map((s) => s.lgsl));
    const defaults = checkDefaultPolicy(raw.policy);
    const departments = (raw.departments ?? {}) as Record<string, Record<string, unknown>>;
    if (typeof departments !== 'object') fail('departments', 'must map department slugs to { policy }');
    const byDepartment = new Map<string, PolicyTable>();
    for (const [slug, d] of Object.entries(departments)) {
      const where = `departments.${slug}`;
      if (!slugs.has(slug)) fail(where, `names no department of catalogue.yaml (${[...slugs].join(', ')})`);
      if (typeof d !== 'object' || d === null) fail(where, 'must be { policy }');
      for (const key of ['workingHours', 'bankHolidays']) if (d[key] !== undefined) fail(`${where}.${key}`, `has moved to ${OPENING_HOURS_FILE} (${where}.${key === 'workingHours' ? 'hours' : key})`);
      known(d, ['policy'], `${where}.`);
      if (d.policy !== undefined) byDepartment.set(slug, checkPolicyTable(d.policy, `${where}.policy`));
    }
    const byService = new Map<number, PolicyTable>();
    const services = (raw.services ?? {}) as Record<string, unknown>;
    if (typeof services !== 'object') fail('services', 'must map LGSL ids to a policy');
    for (const [key, table] of Object.entries(services)) {
      const lgsl = Number(key);
      if (!Number.isInteger(lgsl) || !lgsls.has(lgsl)) fail(`services.${key}`, 'is not the LGSL id of a service in catalogue.yaml');
      byService.set(lgsl, checkPolicyTable(table, `services.${key}`));
    }
    return new SlaConfig(warningAt, hours, defaults, byDepartment, byService);
  }

  /** The department's working calendar: its opening hours (OpeningHours.calendarFor). */
  calendarFor(departmentSlug: string): WorkingCalendar {
    return this.hours.calendarFor(departmentSlug);
  }

  /** Each target from the most specific entry that sets it: the service, then the department, then `policy`. */
  policyFor(c: { departmentSlug: string; lgsl: number | null; priority: CasePriority }): AppliedPolicy {
    const service = c.lgsl === null ? undefined : this.byService.get(c.lgsl)?.[c.priority];
    const department = this.byDepartment.get(c.departmentSlug)?.[c.priority];
    const sources: string[] = [];
    const pick = (target: SlaTarget): TargetDuration => {
      if (service?.[target]) return (sources.push(`services.${c.lgsl}.${c.priority}.${target}`), service[target]);
      if (department?.[target]) return (sources.push(`departments.${c.departmentSlug}.policy.${c.priority}.${target}`), department[target]);
      sources.push(`policy.${c.priority}.${target}`);
      return this.defaults[c.priority][target];
    };
    const targets = { [SlaTarget.FirstResponse]: pick(SlaTarget.FirstResponse), [SlaTarget.Resolution]: pick(SlaTarget.Resolution) };
    return { targets, source: sources.join(', ') };
  }

  describe(targets: Targets): string {
    return `first response ${formatDuration(targets.firstResponse)}, resolution ${formatDuration(targets.resolution)}`;
  }
}

function fail(where: string, problem: string): never {
  throw new Error(`Council configuration sla.yaml: ${where} ${problem}`);
}

const known = knownKeys(fail);

function checkDefaultPolicy(raw: unknown): Record<CasePriority, Targets> {
  const table = checkPolicyTable(raw, 'policy');
  const out = {} as Record<CasePriority, Targets>;
  for (const priority of enumValues(CasePriority) as CasePriority[]) {
    for (const target of TARGETS) if (!table[priority]?.[target]) fail(`policy.${priority}.${target}`, 'is required (every priority needs both targets)');
    out[priority] = table[priority] as Targets;
  }
  return out;
}

/** { urgent: { firstResponse: 1h, resolution: 1d }, … }: any priority, any target. */
function checkPolicyTable(raw: unknown, where: string): PolicyTable {
  const priorities = enumValues(CasePriority) as CasePriority[];
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(where, `must map priorities (${priorities.join(', ')}) to { firstResponse, resolution }`);
  const table: PolicyTable = {};
  for (const [priority, entry] of Object.entries(raw as Record<string, unknown>)) {
    if (!priorities.includes(priority as CasePriority)) fail(`${where}.${priority}`, `is not a priority (${priorities.join(', ')})`);
    if (typeof entry !== 'object' || entry === null) fail(`${where}.${priority}`, 'must be { firstResponse, resolution }');
    known(entry as Record<string, unknown>, TARGETS, `${where}.${priority}.`);
    const targets: PartialTargets = {};
    for (const target of TARGETS) {
      const value = (entry as Record<string, unknown>)[target];
      if (value === undefined) continue;
      const duration = parseDuration(value);
      if (!duration) fail(`${where}.${priority}.${target}`, `"${value}" is not a duration of working time such as 30m, 4h or 2d`);
      targets[target] = duration;
    }
    table[priority as CasePriority] = targets;
  }
  return table;
}
