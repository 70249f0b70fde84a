import { CaseStatus } from '../common/enum';
import { HubError } from '../common/errors';
import { CASE_TRANSITIONS, assertTransition, canTransition, statusOnResidentReply } from './case-status';

const ALL = Object.values(CaseStatus);

describe('case state machine', () => {
  it.each([
    [CaseStatus.New, CaseStatus.Open],
    [CaseStatus.Open, CaseStatus.Pending],
    [CaseStatus.Pending, CaseStatus.Open],
    [CaseStatus.Open, CaseStatus.Resolved],
    [CaseStatus.Resolved, CaseStatus.Open],
    [CaseStatus.Resolved, CaseStatus.Closed],
  ])('allows %s → %s', (from, to) => {
    expect(canTransition(from, to)).toBe(true);
    expect(() => assertTransition(from, to)).not.toThrow();
  });

  it.each(ALL.map((to) => [CaseStatus.Closed, to]))('refuses closed → %s (closed is final)', (from, to) => {
    expect(canTransition(from, to)).toBe(false);
  });

  it('refuses a status becoming itself', () => {
    for (const s of ALL) expect(canTransition(s, s)).toBe(false);
  });

  it('refuses pending → pending and new → new with an InvalidTransition error naming both', () => {
    try {
      assertTransition(CaseStatus.Resolved, CaseStatus.Pending);
      fail('expected an error');
    } catch (e) {
      expect(e).toBeInstanceOf(HubError);
      expect((e as HubError).code).toBe('InvalidTransition');
      expect((e as HubError).message).toBe('A resolved case cannot become pending');
    }
  });

  it('covers every status in the table', () => {
    expect(Object.keys(CASE_TRANSITIONS).sort()).toEqual([...ALL].sort());
  });

  describe('statusOnResidentReply', () => {
    it('sends a case back to its owner, or to the queue when nobody owns it', () => {
      expect(statusOnResidentReply(CaseStatus.Pending, true)).toBe(CaseStatus.Open);
      expect(statusOnResidentReply(CaseStatus.Pending, false)).toBe(CaseStatus.New);
      expect(statusOnResidentReply(CaseStatus.Resolved, true)).toBe(CaseStatus.Open);
      expect(statusOnResidentReply(CaseStatus.Resolved, false)).toBe(CaseStatus.New);
      expect(statusOnResidentReply(CaseStatus.Open, true)).toBe(CaseStatus.Open);
      expect(statusOnResidentReply(CaseStatus.New, false)).toBe(CaseStatus.New);
    });
  });
});
