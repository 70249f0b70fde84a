import { Announcer } from './announce';
import { h, hidden, keepFocus, replace } from './dom';
import { CHANNEL_LABEL, channelLabel, PRIORITY_COLOUR, PRIORITY_LABEL, PRIORITY_RANK, STATUS_COLOUR, statusLabel, waitingFor } from './format';
import { button, Option, select, tag } from './govuk';
import { CaseStatus, CaseSummary, Channel } from './protocol';
import { Store } from './state';

export type SortKey = 'queue' | 'waiting' | 'newest' | 'reference' | 'channel' | 'department' | 'status';

export interface QueueFilters {
  departmentId: string;
  channel: string;
  /** A key of STATUS_VIEWS. */
  view: string;
  sort: SortKey;
}

/** The status filter: the working queue by default; "mine" also narrows to the agent's own cases. */
const STATUS_VIEWS: Record<string, { label: string; statuses: CaseStatus[]; mine?: boolean }> = {
  active: { label: 'Open queue (new, open, pending)', statuses: ['new', 'open', 'pending'] },
  mine: { label: 'My cases (open, pending)', statuses: ['new', 'open', 'pending'], mine: true },
  new: { label: 'New', statuses: ['new'] },
  open: { label: 'Open', statuses: ['open'] },
  pending: { label: 'Pending', statuses: ['pending'] },
  resolved: { label: 'Resolved', statuses: ['resolved'] },
  closed: { label: 'Closed', statuses: ['closed'] },
  all: { label: 'All statuses', statuses: ['new', 'open', 'pending', 'resolved', 'closed'] },
};

const SORTS: Option[] = [
  { value: 'queue', text: 'Queue order (priority, then oldest)' },
  { value: 'waiting', text: 'Longest waiting first' },
  { value: 'newest', text: 'Newest first' },
  { value: 'reference', text: 'Case reference' },
  { value: 'channel', text: 'Channel' },
  { value: 'department', text: 'Department' },
  { value: 'status', text: 'Status' },
];

export interface QueueActions {
  claimNext(): void;
  /** The filters changed in a way the hub must answer (department, channel, status). */
  reload(filters: QueueFilters): void;
}

/**
 * Since when the resident has been waiting for an answer: their last message (or the case's start), unless the
 * council has answered since. Only `new` and `open` cases wait on the council (`pending` waits on the resident).
 */
export function waitingSince(c: CaseSummary): string | null {
  if (c.status !== 'new' && c.status !== 'open') return null;
  const since = c.lastInboundAt ?? c.createdAt;
  if (c.firstResponseAt && Date.parse(c.firstResponseAt) >= Date.parse(since)) return null;
  return since;
}

/**
 * The live queue: filters, a sort, and a table that updates row by row (so focus stays where it was), with
 * waiting times ticking every second. Live updates can be paused (WCAG 2.2.2).
 */
export class QueueView {
  readonly filters: QueueFilters = { departmentId: '', channel: '', view: 'active', sort: 'queue' };
  readonly root: HTMLElement;
  readonly announcer: Announcer;
  private readonly tbody: HTMLTableSectionElement;
  private readonly count: HTMLElement;
  private readonly pauseArea: HTMLElement;
  private readonly rows = new Map<string, HTMLTableRowElement>();
  private currentCaseId: string | null = null;
  private paused = false;
  private missedWhilePaused = 0;

  constructor(
    private readonly store: Store,
    private readonly actions: QueueActions,
  ) {
    const status = h('p', { class: 'govuk-body-s hub-live-status', id: 'queue-status', role: 'status' });
    this.announcer = new Announcer(status);
    this.count = h('p', { class: 'govuk-body-s hub-queue__count', id: 'queue-count' });
    this.pauseArea = h('div', { class: 'hub-queue__pause' });
    this.tbody = h('tbody', { class: 'govuk-table__body' });
    this.root = h(
      'section',
      { class: 'hub-queue', 'aria-labelledby': 'queue-heading' },
      h(
        'div',
        { class: 'hub-queue__head' },
        h('h1', { class: 'govuk-heading-l hub-queue__title', id: 'queue-heading', tabindex: '-1' }, 'Queue'),
        button(['Claim next case', h('span', { class: 'hub-shortcut-hint', 'data-shortcut': 'n' }, ' (N)')], {
          id: 'claim-next',
          onClick: () => this.actions.claimNext(),
          attrs: { 'aria-keyshortcuts': 'n' },
        }),
      ),
      this.count,
      status,
      this.filterForm(),
      this.pauseArea,
      h(
        'table',
        { class: 'govuk-table hub-queue-table', id: 'queue-table' },
        h('caption', { class: 'govuk-visually-hidden' }, 'Cases in the queue'),
        h(
          'thead',
          { class: 'govuk-table__head' },
          h(
            'tr',
            { class: 'govuk-table__row' },
            ['Case', 'Status', 'Waiting', 'Owner'].map((t) => h('th', { scope: 'col', class: 'govuk-table__header' }, t)),
          ),
        ),
        this.tbody,
      ),
    );
    this.renderPause();
  }

  private filterForm(): HTMLElement {
    const departments: Option[] = [{ value: '', text: 'All my departments' }, ...this.store.myDepartments.map((d) => ({ value: d.id, text: d.name }))];
    const channels: Option[] = [{ value: '', text: 'All channels' }, ...Object.entries(CHANNEL_LABEL).map(([value, text]) => ({ value, text }))];
    const views: Option[] = Object.entries(STATUS_VIEWS).map(([value, v]) => ({ value, text: v.label }));
    const change = (key: keyof QueueFilters, reload: boolean) => (value: string) => {
      (this.filters as unknown as Record<string, string>)[key] = value;
      if (reload) this.actions.reload(this.filters);
      this.render();
    };
    return h(
      'form',
      { class: 'hub-filters', id: 'queue-filters', 'aria-label': 'Filter and sort the queue', onsubmit: (e: Event) => e.preventDefault() },
      select({ id: 'filter-department', label: 'Department', options: departments, value: this.filters.departmentId, onChange: change('departmentId', true), groupClass: 'hub-filters__item' }),
      select({ id: 'filter-channel', label: 'Channel', options: channels, value: this.filters.channel, onChange: change('channel', true), groupClass: 'hub-filters__item' }),
      select({ id: 'filter-status', label: 'Status', options: views, value: this.filters.view, onChange: change('view', true), groupClass: 'hub-filters__item' }),
      select({ id: 'queue-sort', label: 'Sort by', options: SORTS, value: this.filters.sort, onChange: change('sort', false), groupClass: 'hub-filters__item' }),
    );
  }

  /** What queue:list should be asked for the current filters. */
  static query(filters: QueueFilters): { departmentId?: string; channel?: Channel; status: CaseStatus[] } {
    return {
      departmentId: filters.departmentId || undefined,
      channel: (filters.channel || undefined) as Channel | undefined,
      status: STATUS_VIEWS[filters.view]?.statuses ?? STATUS_VIEWS.active.statuses,
    };
  }

  matches(c: CaseSummary): boolean {
    const view = STATUS_VIEWS[this.filters.view] ?? STATUS_VIEWS.active;
    if (!view.statuses.includes(c.status)) return false;
    if (view.mine && !this.store.isMine(c)) return false;
    if (this.filters.departmentId && c.departmentId !== this.filters.departmentId) return false;
    if (this.filters.channel && c.channel !== this.filters.channel) return false;
    return true;
  }

  setCurrent(caseId: string | null): void {
    this.currentCaseId = caseId;
    for (const [id, row] of this.rows) {
      row.classList.toggle('hub-row--current', id === caseId);
      const link = row.querySelector('a');
      if (id === caseId) link?.setAttribute('aria-current', 'true');
      else link?.removeAttribute('aria-current');
    }
  }

  /** A case changed (already in the store): shown now, or counted while paused. */
  changed(): void {
    if (this.paused) {
      this.missedWhilePaused += 1;
      this.renderPause();
      return;
    }
    this.render();
  }

  render(): void {
    const visible = [...this.store.cases.values()].filter((c) => this.matches(c)).sort(this.comparator());
    keepFocus(() => {
      for (const [id, row] of this.rows) {
        if (!visible.some((c) => c.id === id)) {
          row.remove();
          this.rows.delete(id);
        }
      }
      const emptyRow = this.tbody.querySelector('.hub-row--empty');
      if (visible.length) emptyRow?.remove();
      visible.forEach((c, i) => {
        let row = this.rows.get(c.id);
        if (!row || row.dataset.version !== String(c.version) || row.dataset.assignee !== (c.assignee?.id ?? '')) {
          const fresh = this.row(c);
          if (row) row.replaceWith(fresh);
          row = fresh;
          this.rows.set(c.id, row);
        }
        if (this.tbody.children[i] !== row) this.tbody.insertBefore(row, this.tbody.children[i] ?? null);
      });
      if (!visible.length && !emptyRow) this.tbody.append(this.emptyRow());
    });
    const waiting = visible.filter((c) => c.status === 'new').length;
    this.count.textContent = `${visible.length} ${visible.length === 1 ? 'case' : 'cases'} shown, ${waiting} waiting for an agent`;
    document.title = `${waiting ? `(${waiting}) ` : ''}Queue – Contact Hub`;
    this.setCurrent(this.currentCaseId);
    this.tick();
  }

  /** Every second: waiting times move on (skipped while paused). */
  tick(): void {
    if (this.paused) return;
    const now = this.store.now();
    for (const cell of this.tbody.querySelectorAll<HTMLElement>('[data-since]')) {
      cell.textContent = waitingFor(now - Date.parse(cell.dataset.since!));
    }
  }

  private comparator(): (a: CaseSummary, b: CaseSummary) => number {
    const created = (c: CaseSummary) => Date.parse(c.createdAt);
    const since = (c: CaseSummary) => {
      const s = waitingSince(c);
      return s ? Date.parse(s) : Number.POSITIVE_INFINITY;
    };
    const queueOrder = (a: CaseSummary, b: CaseSummary) => PRIORITY_RANK[b.priority] - PRIORITY_RANK[a.priority] || created(a) - created(b);
    const text = (f: (c: CaseSummary) => string) => (a: CaseSummary, b: CaseSummary) => f(a).localeCompare(f(b), 'en-GB') || queueOrder(a, b);
    switch (this.filters.sort) {
      case 'waiting':
        return (a, b) => since(a) - since(b) || queueOrder(a, b);
      case 'newest':
        return (a, b) => created(b) - created(a);
      case 'reference':
        return text((c) => c.reference);
      case 'channel':
        return text((c) => channelLabel(c.channel));
      case 'department':
        return text((c) => this.store.departmentName(c.departmentId));
      case 'status':
        return text((c) => String(['new', 'open', 'pending', 'resolved', 'closed'].indexOf(c.status)));
      default:
        return queueOrder;
    }
  }

  private row(c: CaseSummary): HTMLTableRowElement {
    const since = waitingSince(c);
    const who = c.resident?.name || 'Unnamed resident';
    const owner = c.assignee ? (this.store.isMine(c) ? 'You' : (c.assignee.name ?? 'Another agent')) : 'Unassigned';
    const cell = (label: string, ...children: (Node | string | null)[]) =>
      h('td', { class: 'govuk-table__cell', 'data-label': label }, h('span', { class: 'hub-cell-label' }, label), ...children);
    const row = h(
      'tr',
      { class: 'govuk-table__row', 'data-case-id': c.id, 'data-version': String(c.version), 'data-assignee': c.assignee?.id ?? '' },
      h(
        'td',
        { class: 'govuk-table__cell hub-queue-table__case', 'data-label': 'Case' },
        h('a', { class: 'govuk-link govuk-link--no-visited-state hub-case-link', href: `#/cases/${c.id}`, id: `open-${c.id}` }, c.reference, hidden(`, ${who}`)),
        h('span', { class: 'hub-queue-table__resident', 'aria-hidden': 'true' }, who),
        h('span', { class: 'hub-queue-table__where' }, `${channelLabel(c.channel)} · ${this.store.departmentName(c.departmentId)}`),
        c.preview || c.subject ? h('span', { class: 'hub-queue-table__preview' }, truncate(c.preview || c.subject || '', 90)) : null,
      ),
      cell(
        'Status',
        tag(statusLabel(c.status), STATUS_COLOUR[c.status] ?? 'grey', 'hub-tag'),
        c.priority !== 'normal' ? tag(`${PRIORITY_LABEL[c.priority] ?? c.priority} priority`, PRIORITY_COLOUR[c.priority] ?? 'grey', 'hub-tag') : null,
      ),
      since ? cell('Waiting', h('span', { 'data-since': since }, '')) : cell('Waiting', h('span', { class: 'hub-secondary-text' }, 'Answered')),
      cell('Owner', c.assignee ? owner : h('span', { class: 'hub-secondary-text' }, owner)),
    );
    return row;
  }

  private emptyRow(): HTMLTableRowElement {
    const anyCases = this.store.cases.size > 0;
    return h(
      'tr',
      { class: 'govuk-table__row hub-row--empty' },
      h(
        'td',
        { class: 'govuk-table__cell', colspan: '4' },
        anyCases ? 'No cases match these filters.' : 'No cases are waiting. New cases appear here as residents get in touch.',
      ),
    );
  }

  private renderPause(): void {
    keepFocus(() => {
      if (this.paused) {
        const missed = this.missedWhilePaused;
        replace(
          this.pauseArea,
          h(
            'p',
            { class: 'govuk-body-s hub-queue__paused' },
            h('strong', null, 'Live updates are paused. '),
            missed ? `${missed} ${missed === 1 ? 'change is' : 'changes are'} waiting to be shown.` : 'No changes yet.',
          ),
          button('Resume live updates', { id: 'queue-pause', kind: 'secondary', small: true, onClick: () => this.setPaused(false) }),
        );
      } else {
        replace(this.pauseArea, button('Pause live updates', { id: 'queue-pause', kind: 'secondary', small: true, onClick: () => this.setPaused(true) }));
      }
    });
  }

  private setPaused(paused: boolean): void {
    this.paused = paused;
    this.missedWhilePaused = 0;
    this.renderPause();
    if (!paused) this.render();
  }
}

function truncate(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
