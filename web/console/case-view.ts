import { Composer, ComposerActions, replyProblem, ReplyFix } from './composer';
import { focusTarget, h, keepFocus, replace } from './dom';
import { channelLabel, fullTime, PRESENCE_LABEL, PRIORITY_COLOUR, PRIORITY_LABEL, shortTime, STATUS_COLOUR, statusLabel, waitingFor } from './format';
import { button, errorSummary, Option, select, tag } from './govuk';
import { CaseStatus, CaseSummary, Colleague, MessageView, Named, Priority } from './protocol';
import { Store } from './state';
import { Transcript } from './transcript';
import { waitingSince } from './queue';

export interface CaseActions extends ComposerActions {
  claim(takeOver: boolean): void;
  release(): void;
  changeStatus(status: Exclude<CaseStatus, 'new'>): Promise<boolean>;
  changePriority(priority: Priority): Promise<boolean>;
  /** To a department's queue, or to a colleague (who must work in that department). */
  transfer(departmentId: string, note: string, agent?: Named): Promise<boolean>;
  /** Who the case may go to in a department (presence and load), or null when the hub could not say. */
  colleagues(departmentId: string): Promise<Colleague[] | null>;
  retry(messageId: string, button: HTMLButtonElement): void;
  closeView(): void;
}

const STATUS_TEXT: Record<CaseStatus, string> = {
  new: 'New (not claimed yet)',
  open: 'Open',
  pending: 'Pending (waiting for the resident)',
  resolved: 'Resolved',
  closed: 'Closed',
};
/** The hub's state machine (src/cases/case-status.ts), so the list offers only changes the hub accepts. */
const NEXT_STATUSES: Record<CaseStatus, CaseStatus[]> = {
  new: ['open', 'pending', 'resolved', 'closed'],
  open: ['pending', 'resolved', 'closed'],
  pending: ['open', 'resolved', 'closed'],
  resolved: ['open', 'closed'],
  closed: [],
};
const PRIORITY_CHOICES: Option[] = (['urgent', 'high', 'normal', 'low'] as Priority[]).map((p) => ({ value: p, text: PRIORITY_LABEL[p] }));

/**
 * One case: who and what, who owns it, the conversation, the reply and note forms, and the case's status,
 * priority and department. Parts are redrawn separately, so a push never wipes a half-written reply.
 */
export class CaseView {
  readonly root: HTMLElement;
  readonly caseId: string;
  readonly transcript: Transcript;
  readonly otherCases = new Map<string, CaseSummary>();
  private readonly header: HTMLElement;
  private readonly alert: HTMLElement;
  private readonly presence: HTMLElement;
  private readonly manage: HTMLElement;
  private readonly composer: Composer;
  private viewers: Named[] = [];
  private typists = new Map<string, string>();
  private connected = true;
  /** The transfer form's colleagues, for one department at a time (loaded when the department is chosen). */
  private colleagues: { departmentId: string; agents: Colleague[] | null } | null = null;

  constructor(
    private readonly store: Store,
    initial: CaseSummary,
    otherCases: CaseSummary[],
    private readonly actions: CaseActions,
  ) {
    this.caseId = initial.id;
    for (const c of otherCases) this.otherCases.set(c.id, c);
    this.header = h('div', { class: 'hub-case__header' });
    this.alert = h('div', { id: 'case-alert', class: 'hub-alert' });
    this.presence = h('p', { class: 'govuk-body-s hub-case__presence', id: 'case-presence', role: 'status' });
    this.manage = h('div', { class: 'hub-manage' });
    this.transcript = new Transcript({
      store,
      current: () => this.case,
      otherCases: () => this.otherCases,
      onRetry: (id, b) => actions.retry(id, b),
    });
    this.composer = new Composer(actions, initial.resident?.name || 'the resident', initial.channel);
    this.root = h(
      'section',
      { class: 'hub-case', 'aria-labelledby': 'case-heading', id: 'case-view' },
      this.header,
      this.alert,
      this.presence,
      h('h3', { class: 'govuk-heading-m hub-case__conversation-heading' }, 'Conversation'),
      this.transcript.root,
      this.composer.root,
      this.manage,
    );
  }

  get case(): CaseSummary {
    return this.store.cases.get(this.caseId)!;
  }

  /** Puts the history in and the view on screen; focus goes to the case heading, as for a new page. */
  show(messages: MessageView[], container: HTMLElement, focus: boolean): void {
    this.transcript.reset(messages);
    replace(container, this.root);
    this.composer.mounted();
    this.render();
    if (focus) focusTarget(document.getElementById('case-heading'));
  }

  /** The full history, once the resident's earlier cases have loaded: the log is rebuilt, not read out. */
  setHistory(messages: MessageView[]): void {
    const focusedInLog = this.transcript.root.contains(document.activeElement);
    const fresh = this.transcript.reset(messages);
    if (focusedInLog) fresh.focus();
  }

  setConnected(connected: boolean): void {
    this.connected = connected;
    this.composer.update(replyProblem(this.case, this.store, connected));
  }

  /** The case changed (already in the store). */
  render(): void {
    const c = this.case;
    keepFocus(() => {
      this.renderHeader(c);
      this.renderManage(c);
    });
    this.composer.update(replyProblem(c, this.store, this.connected));
  }

  /** What the hub allows on this case now (free text, or only approved templates). */
  setCompose(options: Parameters<Composer['setCompose']>[0]): void {
    keepFocus(() => this.composer.setCompose(options));
  }

  /** The resident wrote (a WhatsApp window may have opened again): ask the hub what may be sent now. */
  refreshCompose(): void {
    this.actions.refreshCompose();
  }

  setCanned(replies: Parameters<Composer['setCanned']>[0]): void {
    keepFocus(() => this.composer.setCanned(replies));
  }

  focusReply(): void {
    this.composer.focusReply();
  }

  stopTyping(): void {
    this.composer.stopTyping();
  }

  /** A failure of a command on this case, in a GOV.UK error summary announced at once (role="alert"). */
  showError(message: string | null): void {
    replace(this.alert, message ? errorSummary([{ text: message }]) : null);
  }

  setViewers(viewers: Named[]): void {
    this.viewers = viewers.filter((v) => v.id !== this.store.agent?.id);
    // Someone who left the case (a closed tab says nothing more) is not typing on it any longer.
    for (const id of this.typists.keys()) if (!viewers.some((v) => v.id === id)) this.typists.delete(id);
    this.renderPresence();
  }

  setTyping(agent: Named, typing: boolean): void {
    if (agent.id === this.store.agent?.id) return;
    if (typing) this.typists.set(agent.id, agent.name ?? 'A colleague');
    else this.typists.delete(agent.id);
    this.renderPresence();
  }

  /** Every second: the waiting time in the header moves on. */
  tick(): void {
    const now = this.store.now();
    for (const el of this.header.querySelectorAll<HTMLElement>('[data-since]')) el.textContent = waitingFor(now - Date.parse(el.dataset.since!));
  }

  private renderPresence(): void {
    const viewing = this.viewers.map((v) => v.name ?? 'A colleague');
    const typing = [...this.typists.values()];
    const parts = [
      viewing.length ? `Also viewing: ${viewing.join(', ')}.` : '',
      typing.length ? `${typing.join(' and ')} ${typing.length === 1 ? 'is' : 'are'} typing.` : '',
    ].filter(Boolean);
    this.presence.textContent = parts.join(' ');
  }

  private renderHeader(c: CaseSummary): void {
    const resident = c.resident?.name || 'Unnamed resident';
    const owner = c.assignee ? (this.store.isMine(c) ? 'You' : (c.assignee.name ?? 'Another agent')) : 'Nobody yet';
    const since = waitingSince(c);
    const fact = (term: string, ...value: (Node | string | null)[]) => h('div', { class: 'hub-facts__item' }, h('dt', null, term), h('dd', null, ...value));
    replace(
      this.header,
      h('a', { href: '#/', class: 'govuk-back-link hub-case__back', onclick: (e: Event) => (e.preventDefault(), this.actions.closeView()) }, 'Back to the queue'),
      h('span', { class: 'govuk-caption-m' }, `${this.store.departmentName(c.departmentId)}${c.serviceName ? `: ${c.serviceName}` : ''}`),
      h('h2', { class: 'govuk-heading-l hub-case__title', id: 'case-heading', tabindex: '-1' }, `${c.reference}: ${resident}`),
      c.subject ? h('p', { class: 'govuk-body hub-case__subject' }, c.subject) : null,
      h(
        'dl',
        { class: 'hub-facts' },
        fact('Status', tag(statusLabel(c.status), STATUS_COLOUR[c.status] ?? 'grey', 'hub-tag')),
        fact('Priority', tag(PRIORITY_LABEL[c.priority] ?? c.priority, PRIORITY_COLOUR[c.priority] ?? 'grey', 'hub-tag')),
        fact('Channel', channelLabel(c.channel)),
        fact('Owner', owner),
        fact('Opened', h('time', { datetime: c.createdAt, title: fullTime(c.createdAt) }, shortTime(c.createdAt))),
        since ? fact('Waiting', h('span', { 'data-since': since }, waitingFor(this.store.now() - Date.parse(since)))) : null,
      ),
      this.ownershipButtons(c),
    );
  }

  private ownershipButtons(c: CaseSummary): HTMLElement | null {
    const buttons: HTMLElement[] = [];
    const closed = c.status === 'closed' || c.status === 'resolved';
    if (!c.assignee && !closed) buttons.push(button('Claim this case', { id: 'case-claim', onClick: () => this.actions.claim(false) }));
    if (this.store.isMine(c) && c.status !== 'closed') buttons.push(button('Release to the queue', { id: 'case-release', kind: 'secondary', onClick: () => this.actions.release() }));
    if (c.assignee && !this.store.isMine(c) && this.store.canTakeOver) {
      buttons.push(button(`Take over from ${c.assignee.name ?? 'the owner'}`, { id: 'case-take-over', kind: 'warning', onClick: () => this.actions.claim(true) }));
    }
    return buttons.length ? h('div', { class: 'govuk-button-group hub-case__ownership' }, buttons) : null;
  }

  /** The colleagues of a department for the transfer form, then the form again (keeping the agent's place). */
  private async loadColleagues(departmentId: string): Promise<void> {
    this.colleagues = { departmentId, agents: null };
    keepFocus(() => this.renderManage(this.case));
    const agents = await this.actions.colleagues(departmentId);
    if (this.colleagues?.departmentId !== departmentId) return; // another department was chosen meanwhile
    this.colleagues = { departmentId, agents: agents ?? [] };
    keepFocus(() => this.renderManage(this.case));
  }

  private renderManage(c: CaseSummary): void {
    const statusOptions: Option[] = [c.status, ...NEXT_STATUSES[c.status]].map((s) => ({ value: s, text: s === 'open' && c.status === 'resolved' ? 'Open (reopen the case)' : STATUS_TEXT[s] }));
    const others = [...this.store.departments.values()].filter((d) => d.id !== c.departmentId).sort((a, b) => a.name.localeCompare(b.name));
    const saveStatus = async (e: Event) => {
      e.preventDefault();
      const status = (document.getElementById('case-status') as HTMLSelectElement | null)?.value ?? c.status;
      const priority = (document.getElementById('case-priority') as HTMLSelectElement).value as Priority;
      if (status !== c.status && status !== 'new') await this.actions.changeStatus(status as Exclude<CaseStatus, 'new'>);
      if (priority !== this.case.priority) await this.actions.changePriority(priority);
    };
    // A push redraws these forms: keep what the agent had typed or chosen but not yet saved.
    const draftNote = (document.getElementById('transfer-note') as HTMLTextAreaElement | null)?.value ?? '';
    const draftDepartment = (document.getElementById('transfer-department') as HTMLSelectElement | null)?.value || c.departmentId;
    const draftAgent = (document.getElementById('transfer-agent') as HTMLSelectElement | null)?.value ?? '';
    const listed = this.colleagues?.departmentId === draftDepartment ? this.colleagues.agents : null;
    if (!listed && this.colleagues?.departmentId !== draftDepartment) void this.loadColleagues(draftDepartment);
    const transfer = async (e: Event) => {
      e.preventDefault();
      const departmentId = (document.getElementById('transfer-department') as HTMLSelectElement).value;
      const agentId = (document.getElementById('transfer-agent') as HTMLSelectElement | null)?.value ?? '';
      const note = (document.getElementById('transfer-note') as HTMLTextAreaElement).value.trim();
      const agent = listed?.find((a) => a.id === agentId);
      if (departmentId === c.departmentId && !agent) return this.showError('Choose a colleague, or another department, to transfer the case to');
      if (!(await this.actions.transfer(departmentId, note, agent))) return;
      (document.getElementById('transfer-note') as HTMLTextAreaElement).value = '';
      this.colleagues = null; // their loads changed: the list is read again
      keepFocus(() => this.renderManage(this.case));
    };
    const department = (id: string) => (id === c.departmentId ? `${this.store.departmentName(id)} (this department)` : this.store.departmentName(id));
    replace(
      this.manage,
      h('h3', { class: 'govuk-heading-m' }, 'Manage this case'),
      h(
        'div',
        { class: 'hub-manage__forms' },
        h(
          'form',
          { id: 'status-form', class: 'hub-manage__form', 'aria-label': 'Status and priority', onsubmit: (e: Event) => void saveStatus(e), novalidate: true },
          c.status === 'closed'
            ? h('p', { class: 'govuk-body', id: 'case-status-final' }, 'This case is closed. A closed case cannot change status.')
            : select({ id: 'case-status', label: 'Status', options: statusOptions, value: c.status }),
          select({ id: 'case-priority', label: 'Priority', options: PRIORITY_CHOICES, value: c.priority }),
          button('Save status and priority', { id: 'case-save', type: 'submit', kind: 'secondary' }),
        ),
        h(
          'form',
          { id: 'transfer-form', class: 'hub-manage__form', 'aria-label': 'Transfer', onsubmit: (e: Event) => void transfer(e), novalidate: true },
          select({
            id: 'transfer-department',
            label: 'Transfer to department',
            options: [c.departmentId, ...others.map((d) => d.id)].map((id) => ({ value: id, text: department(id) })),
            value: draftDepartment,
            onChange: (id) => void this.loadColleagues(id),
          }),
          select({
            id: 'transfer-agent',
            label: 'Transfer to a colleague (optional)',
            hint: 'Available colleagues with the fewest cases come first.',
            options: colleagueOptions(listed, c, draftDepartment === c.departmentId),
            value: draftAgent,
          }),
          h(
            'div',
            { class: 'govuk-form-group' },
            h('label', { class: 'govuk-label', for: 'transfer-note' }, 'Reason for the transfer (optional)'),
            h('textarea', { class: 'govuk-textarea', id: 'transfer-note', name: 'transfer-note', rows: '2', value: draftNote }),
          ),
          button('Transfer case', { id: 'case-transfer', type: 'submit', kind: 'secondary' }),
        ),
      ),
    );
  }
}

/** The colleague list of the transfer form: presence and load in words, the case's owner left out. */
function colleagueOptions(agents: Colleague[] | null, c: CaseSummary, sameDepartment: boolean): Option[] {
  const queue = { value: '', text: sameDepartment ? 'Choose a colleague' : 'Nobody: the department’s queue' };
  if (!agents) return [{ value: '', text: 'Loading colleagues…' }];
  const choices = agents.filter((a) => a.id !== c.assignee?.id);
  if (!choices.length) return [{ value: '', text: sameDepartment ? 'No colleague to transfer to' : 'Nobody: the department’s queue' }];
  return [queue, ...choices.map((a) => ({ value: a.id, text: `${a.name}: ${PRESENCE_LABEL[a.presence] ?? a.presence}, ${a.load} of ${a.capacity} cases` }))];
}

export type { ReplyFix };
