import { Injectable } from '@nestjs/common';
import { CasePriority, PRIORITY_RANK } from '../common/enum';
import { CouncilConfig, TriageRule } from '../config/council-config';
import { DepartmentsService } from '../departments/departments.service';

export interface TriageInput {
  inboxName: string;
  inboxDepartmentId: string;
  text: string;
  subject?: string;
  /** The service the resident chose themselves: it wins over keywords and the inbox's service. */
  serviceId?: string;
}

export interface TriageDecision {
  serviceId: string | null;
  departmentId: string;
  priority: CasePriority;
  /** Names of the rules that matched, for the audit trail and the agent. */
  matched: string[];
}

/**
 * Council-editable triage (config/triage.yaml): keywords pick a service and a priority; else the inbox's own
 * service; the department follows the service, else the inbox's default department. The highest priority
 * of any matching rule wins; the first matching rule that names a service wins the service.
 */
@Injectable()
export class TriageService {
  private readonly rules: Array<TriageRule & { patterns: RegExp[] }>;

  constructor(
    private readonly council: CouncilConfig,
    private readonly departments: DepartmentsService,
  ) {
    this.rules = council.triage.rules.map((r) => ({ ...r, patterns: r.keywords.map(phrasePattern) }));
  }

  decide(input: TriageInput): TriageDecision {
    const haystack = `${input.subject ?? ''}\n${input.text}`;
    const matched = this.rules.filter((r) => r.patterns.some((p) => p.test(haystack)));
    const lgsl = matched.find((r) => r.service !== undefined)?.service ?? this.council.triage.inboxes[input.inboxName];
    const chosen = input.serviceId ? this.departments.serviceById(input.serviceId) : undefined;
    const service = chosen ?? (lgsl === undefined ? undefined : this.departments.serviceByLgsl(lgsl));
    const priority = matched.reduce<CasePriority>(
      (best, r) => (r.priority && PRIORITY_RANK[r.priority] > PRIORITY_RANK[best] ? r.priority : best),
      this.council.triage.defaultPriority,
    );
    return {
      serviceId: service?.id ?? null,
      departmentId: service?.departmentId ?? input.inboxDepartmentId,
      priority,
      matched: matched.map((r) => r.name),
    };
  }

  /** A later message may raise a case's priority (never lower it). */
  escalation(current: CasePriority, text: string): CasePriority | undefined {
    const wanted = this.rules.filter((r) => r.priority && r.patterns.some((p) => p.test(text)));
    const top = wanted.reduce<CasePriority>((best, r) => (PRIORITY_RANK[r.priority!] > PRIORITY_RANK[best] ? r.priority! : best), current);
    return top === current ? undefined : top;
  }
}

/** A phrase matches whole words, any case, any run of spaces between its words. */
function phrasePattern(phrase: string): RegExp {
  const words = phrase.trim().split(/\s+/).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`(^|[^\\p{L}\\p{N}])${words.join('\\s+')}($|[^\\p{L}\\p{N}])`, 'iu');
}
