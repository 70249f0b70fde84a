import { CaseStatus } from '../common/enum';
import { HubError } from '../common/errors';
import type { CaseRow } from './case.repository';

/**
 * The case state machine. `new` = waiting for an agent; `open` = an agent works it; `pending` = waiting on the
 * resident; `resolved` = answered, may reopen when the resident writes again; `closed` = final.
 */
export const CASE_TRANSITIONS: Readonly<Record<CaseStatus, readonly CaseStatus[]>> = {
  [CaseStatus.New]: [CaseStatus.Open, CaseStatus.Pending, CaseStatus.Resolved, CaseStatus.Closed],
  [CaseStatus.Open]: [CaseStatus.New, CaseStatus.Pending, CaseStatus.Resolved, CaseStatus.Closed],
  [CaseStatus.Pending]: [CaseStatus.New, CaseStatus.Open, CaseStatus.Resolved, CaseStatus.Closed],
  [CaseStatus.Resolved]: [CaseStatus.New, CaseStatus.Open, CaseStatus.Closed],
  [CaseStatus.Closed]: [],
};

/** Statuses in which a new inbound message joins the case rather than starting another. */
export const THREADABLE_STATUSES: readonly CaseStatus[] = [CaseStatus.New, CaseStatus.Open, CaseStatus.Pending];

export function canTransition(from: CaseStatus, to: CaseStatus): boolean {
  return CASE_TRANSITIONS[from].includes(to);
}

export function assertTransition(from: CaseStatus, to: CaseStatus): void {
  if (!canTransition(from, to)) {
    throw new HubError('InvalidTransition', `A ${from} case cannot become ${to}`, { from, to, allowed: CASE_TRANSITIONS[from] });
  }
}

/** Where a case goes when the resident writes: back to the owner if it has one, else to the queue. */
export function statusOnResidentReply(current: CaseStatus, hasAssignee: boolean): CaseStatus {
  if (current === CaseStatus.New || current === CaseStatus.Open) return current;
  return hasAssignee ? CaseStatus.Open : CaseStatus.New;
}

/** The refusal of anything going out to the resident (a reply, a re-send) on a closed case. */
export function closedCase(kase: Pick<CaseRow, 'reference' | 'status'>): HubError {
  return new HubError('InvalidTransition', `Case ${kase.reference} is closed: it cannot be replied to`, { status: kase.status });
}
