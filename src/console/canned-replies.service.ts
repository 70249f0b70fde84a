import { Injectable } from '@nestjs/common';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CouncilConfig } from '../config/council-config';
import { Env } from '../config/env';
import { DepartmentsService } from '../departments/departments.service';

export interface CannedReply {
  id: string;
  title: string;
  text: string;
  /** null: for every department. */
  departmentId: string | null;
}

/** What a placeholder may be filled with; undefined or null means unknown (the fallback is used). */
export type PlaceholderValues = Record<(typeof PLACEHOLDERS)[number], string | null | undefined>;

const PLACEHOLDERS = ['resident.name', 'case.reference', 'agent.name', 'department.name', 'service.name'] as const;
const PLACEHOLDER = /\{\{\s*([a-z.]+)\s*(?:\|([^}]*))?\}\}/gi;
const FILE = 'canned-replies.yaml';

interface CannedDef {
  id: string;
  title: string;
  text: string;
  /** A department slug, or undefined for all. */
  department?: string;
}

/**
 * Canned replies from config/canned-replies.yaml (council-editable, per department, with placeholders). The file is
 * checked at start-up: a mistake stops the hub with the entry named. A missing file means no canned replies.
 */
@Injectable()
export class CannedRepliesService {
  private readonly defs: CannedDef[];
  private resolved?: Promise<CannedReply[]>;

  constructor(
    env: Env,
    council: CouncilConfig,
    private readonly departments: DepartmentsService,
  ) {
    this.defs = loadCannedReplies(join(env.CONFIG_DIR, FILE), new Set(council.departments.map((d) => d.slug)));
  }

  /** Every reply, with department slugs turned into ids (read once, after the catalogue is in the database). */
  all(): Promise<CannedReply[]> {
    this.resolved ??= this.resolve().catch((e: unknown) => {
      this.resolved = undefined;
      throw e;
    });
    return this.resolved;
  }

  async forDepartments(departmentIds: string[] | null): Promise<CannedReply[]> {
    return (await this.all()).filter((r) => r.departmentId === null || departmentIds === null || departmentIds.includes(r.departmentId));
  }

  private async resolve(): Promise<CannedReply[]> {
    const bySlug = new Map((await this.departments.list()).map((d) => [d.slug, d.id]));
    return this.defs.map((d) => ({ id: d.id, title: d.title, text: d.text, departmentId: d.department ? bySlug.get(d.department) ?? null : null }));
  }
}

/** Fills the placeholders of a canned reply; an unknown value takes the placeholder's fallback (or nothing). */
export function fillPlaceholders(text: string, values: PlaceholderValues): string {
  return text
    .replace(PLACEHOLDER, (_, name: string, fallback?: string) => values[name.toLowerCase() as keyof PlaceholderValues] || (fallback ?? ''))
    .replace(/ {2,}/g, ' ')
    .replace(/ ([,.!?])/g, '$1');
}

export function loadCannedReplies(path: string, departmentSlugs: Set<string>): CannedDef[] {
  if (!existsSync(path)) return [];
  const fail = (where: string, problem: string): never => {
    throw new Error(`Council configuration ${FILE}: ${where} ${problem}`);
  };
  let raw: { replies?: unknown };
  try {
    raw = (parse(readFileSync(path, 'utf8')) ?? {}) as { replies?: unknown };
  } catch (e) {
    return fail('', `cannot be read: ${(e as Error).message}`);
  }
  if (!Array.isArray(raw.replies)) return fail('replies', 'must be a list');
  const seen = new Set<string>();
  return raw.replies.map((r: Record<string, unknown>, i): CannedDef => {
    const where = `replies[${i}]`;
    if (typeof r?.id !== 'string' || !/^[a-z0-9-]+$/.test(r.id)) fail(`${where}.id`, 'must be lower-case letters, digits and hyphens');
    if (seen.has(r.id as string)) fail(`${where}.id`, `"${r.id}" appears twice`);
    seen.add(r.id as string);
    if (typeof r.title !== 'string' || !r.title.trim()) fail(`${where}.title`, 'is required');
    if (typeof r.text !== 'string' || !r.text.trim()) fail(`${where}.text`, 'is required');
    const department = r.department ?? 'all';
    if (typeof department !== 'string' || (department !== 'all' && !departmentSlugs.has(department))) {
      fail(`${where}.department`, `"${String(department)}" is not a department slug (or "all")`);
    }
    for (const [, name] of (r.text as string).matchAll(PLACEHOLDER)) {
      if (!(PLACEHOLDERS as readonly string[]).includes(name.toLowerCase())) fail(`${where}.text`, `has an unknown placeholder {{${name}}} (known: ${PLACEHOLDERS.join(', ')})`);
    }
    return { id: r.id as string, title: (r.title as string).trim(), text: (r.text as string).trim(), department: department === 'all' ? undefined : (department as string) };
  });
}
