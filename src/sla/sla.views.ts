import { CaseStatus } from '../common/enum';
import { alertDue, metAt, SlaAlertKind, SlaState, SlaTarget, TargetClock } from './sla-clock';

/** A case's SLA as the console and the REST API show it (supervisor contract). */
export interface SlaView {
  firstResponseDueAt: string | null;
  resolutionDueAt: string | null;
  state: SlaState;
  /** Set while the case is pending on the resident: the clocks stand still since then. */
  pausedSince: string | null;
}

/** One alert as GET /api/v1/sla/breaches lists it and `sla:alert` pushes it. */
export interface SlaAlertView {
  caseId: string;
  reference: string;
  departmentId: string;
  target: SlaTarget;
  kind: SlaAlertKind;
  dueAt: string;
  raisedAt: string;
  assignee: { id: string; name: string } | null;
}

/** The columns behind a SlaView (any row that selected them: console summaries, REST case rows). */
export interface SlaViewColumns {
  status: CaseStatus;
  first_response_at: Date | null;
  resolved_at: Date | null;
  closed_at: Date | null;
  sla_first_response_due_at?: Date | null;
  sla_first_response_warn_at?: Date | null;
  sla_resolution_due_at?: Date | null;
  sla_resolution_warn_at?: Date | null;
  sla_paused_since?: Date | null;
}

const iso = (d: Date | string | null | undefined): string | null => (d === null || d === undefined ? null : new Date(d).toISOString());

/**
 * The state is the worst of the two targets, each judged at the moment its clock stopped: when it was met, else
 * while paused when the pause began, else now. A target met late stays `breached` on the case.
 */
export function toSlaView(c: SlaViewColumns, now = new Date()): SlaView {
  const pausedSince = c.sla_paused_since ? new Date(c.sla_paused_since) : null;
  const clocks: Array<[SlaTarget, TargetClock | null]> = [
    [SlaTarget.FirstResponse, clockOf(c.sla_first_response_due_at, c.sla_first_response_warn_at)],
    [SlaTarget.Resolution, clockOf(c.sla_resolution_due_at, c.sla_resolution_warn_at)],
  ];
  let state: SlaState = 'ok';
  for (const [target, clock] of clocks) {
    if (!clock) continue;
    const at = metAt(target, c) ?? pausedSince ?? now;
    const kind = alertDue(clock, new Date(at));
    if (kind === SlaAlertKind.Breach) state = 'breached';
    else if (kind === SlaAlertKind.Warning && state === 'ok') state = 'warning';
  }
  return {
    firstResponseDueAt: iso(c.sla_first_response_due_at),
    resolutionDueAt: iso(c.sla_resolution_due_at),
    state,
    pausedSince: c.status === CaseStatus.Pending ? iso(pausedSince) : null,
  };
}

function clockOf(dueAt: Date | null | undefined, warnAt: Date | null | undefined): TargetClock | null {
  return dueAt && warnAt ? { dueAt: new Date(dueAt), warnAt: new Date(warnAt) } : null;
}

export function toSlaAlertView(r: {
  case_id: string;
  reference: string;
  department_id: string;
  target: SlaTarget;
  kind: SlaAlertKind;
  due_at: Date;
  raised_at: Date;
  assignee_id: string | null;
  assignee_name: string | null;
}): SlaAlertView {
  return {
    caseId: r.case_id,
    reference: r.reference,
    departmentId: r.department_id,
    target: r.target,
    kind: r.kind,
    dueAt: iso(r.due_at)!,
    raisedAt: iso(r.raised_at)!,
    assignee: r.assignee_id ? { id: r.assignee_id, name: r.assignee_name ?? '' } : null,
  };
}
