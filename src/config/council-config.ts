import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CasePriority, enumValues } from '../common/enum';

export interface DepartmentDef {
  slug: string;
  name: string;
  /** Service level: a case counts as answered in time if its first response came within this (docs/metrics.md). */
  answerTargetSeconds: number;
}

/** A department without `answerTargetSeconds` in catalogue.yaml gets this (5 minutes). */
export const DEFAULT_ANSWER_TARGET_SECONDS = 300;

export interface ServiceDef {
  lgsl: number;
  name: string;
  department: string;
}

export interface TriageRule {
  name: string;
  keywords: string[];
  service?: number;
  priority?: CasePriority;
}

export interface TriageConfig {
  defaultPriority: CasePriority;
  /** Inbox name → LGSL id of the service every case from that inbox is about, unless a keyword says otherwise. */
  inboxes: Record<string, number>;
  rules: TriageRule[];
}

/**
 * What a council edits: the service catalogue and the triage rules (YAML in CONFIG_DIR).
 * Loaded and checked once at start-up; a mistake stops the process with the file and the entry named.
 */
export class CouncilConfig {
  constructor(
    readonly departments: DepartmentDef[],
    readonly services: ServiceDef[],
    readonly triage: TriageConfig,
  ) {}

  static load(dir: string): CouncilConfig {
    const catalogue = readYaml(join(dir, 'catalogue.yaml')) as { departments?: unknown; services?: unknown };
    const departments = checkDepartments(catalogue.departments);
    const services = checkServices(catalogue.services, new Set(departments.map((d) => d.slug)));
    const triage = checkTriage(readYaml(join(dir, 'triage.yaml')), new Set(services.map((s) => s.lgsl)));
    return new CouncilConfig(departments, services, triage);
  }
}

function readYaml(path: string): Record<string, unknown> {
  try {
    return (parse(readFileSync(path, 'utf8')) ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`Council configuration ${path} cannot be read: ${(e as Error).message}`);
  }
}

function fail(file: string, where: string, problem: string): never {
  throw new Error(`Council configuration ${file}: ${where} ${problem}`);
}

function checkDepartments(raw: unknown): DepartmentDef[] {
  if (!Array.isArray(raw) || raw.length === 0) fail('catalogue.yaml', 'departments', 'must be a non-empty list');
  return raw.map((d: Record<string, unknown>, i) => {
    if (typeof d?.slug !== 'string' || !/^[a-z0-9-]+$/.test(d.slug)) fail('catalogue.yaml', `departments[${i}].slug`, 'must be lower-case letters, digits and hyphens');
    if (typeof d.name !== 'string' || !d.name.trim()) fail('catalogue.yaml', `departments[${i}].name`, 'is required');
    const target = d.answerTargetSeconds ?? DEFAULT_ANSWER_TARGET_SECONDS;
    if (!Number.isInteger(target) || (target as number) <= 0 || (target as number) > 30 * 86_400) {
      fail('catalogue.yaml', `departments[${i}].answerTargetSeconds`, 'must be a whole number of seconds between 1 and 2592000 (30 days)');
    }
    return { slug: d.slug, name: d.name, answerTargetSeconds: target as number };
  });
}

function checkServices(raw: unknown, departments: Set<string>): ServiceDef[] {
  if (!Array.isArray(raw)) fail('catalogue.yaml', 'services', 'must be a list');
  const seen = new Set<number>();
  return raw.map((s: Record<string, unknown>, i) => {
    if (!Number.isInteger(s?.lgsl) || (s.lgsl as number) <= 0) fail('catalogue.yaml', `services[${i}].lgsl`, 'must be a positive LGSL id');
    if (seen.has(s.lgsl as number)) fail('catalogue.yaml', `services[${i}].lgsl`, `${s.lgsl} appears twice`);
    seen.add(s.lgsl as number);
    if (typeof s.name !== 'string' || !s.name.trim()) fail('catalogue.yaml', `services[${i}].name`, 'is required');
    if (typeof s.department !== 'string' || !departments.has(s.department)) fail('catalogue.yaml', `services[${i}].department`, `"${s.department}" is not a department slug`);
    return { lgsl: s.lgsl as number, name: s.name, department: s.department };
  });
}

function checkTriage(raw: Record<string, unknown>, services: Set<number>): TriageConfig {
  const priorities = enumValues(CasePriority);
  const defaultPriority = (raw.defaultPriority ?? CasePriority.Normal) as CasePriority;
  if (!priorities.includes(defaultPriority)) fail('triage.yaml', 'defaultPriority', `must be one of ${priorities.join(', ')}`);
  const inboxes = (raw.inboxes ?? {}) as Record<string, number>;
  for (const [name, lgsl] of Object.entries(inboxes)) {
    if (!services.has(lgsl)) fail('triage.yaml', `inboxes.${name}`, `names LGSL ${lgsl}, which is not in the catalogue`);
  }
  const rules = ((raw.rules ?? []) as Record<string, unknown>[]).map((r, i) => {
    const where = `rules[${i}]`;
    if (typeof r.name !== 'string') fail('triage.yaml', `${where}.name`, 'is required');
    if (!Array.isArray(r.keywords) || r.keywords.length === 0 || r.keywords.some((k) => typeof k !== 'string' || !k.trim())) {
      fail('triage.yaml', `${where}.keywords`, 'must be a non-empty list of phrases');
    }
    if (r.service !== undefined && !services.has(r.service as number)) fail('triage.yaml', `${where}.service`, `LGSL ${r.service} is not in the catalogue`);
    if (r.priority !== undefined && !priorities.includes(r.priority as string)) fail('triage.yaml', `${where}.priority`, `must be one of ${priorities.join(', ')}`);
    if (r.service === undefined && r.priority === undefined) fail('triage.yaml', where, 'must set a service, a priority or both');
    return { name: r.name, keywords: r.keywords as string[], service: r.service as number | undefined, priority: r.priority as CasePriority | undefined };
  });
  return { defaultPriority, inboxes, rules };
}
