import { h, hidden } from '../console/dom';
import { channelLabel } from '../console/format';
import { count, duration, percent } from './format';
import { targetStatus } from './tiles';
import { DepartmentSnapshot, Kpis } from './protocol';

interface Column {
  head: string;
  /** Shown to screen readers after the visible heading, where the short heading needs it. */
  more?: string;
  cell(k: Kpis, d: DepartmentSnapshot): string | Node;
}

const COLUMNS: Column[] = [
  { head: 'Waiting', cell: (k) => count(k.waiting) },
  { head: 'Longest wait', cell: (k, d) => longest(k, d) },
  { head: 'In progress', cell: (k) => count(k.inProgress) },
  { head: 'Pending on resident', cell: (k) => count(k.pendingOnResident) },
  { head: 'Offered today', cell: (k) => count(k.offeredToday) },
  { head: 'Service level', more: ' today', cell: (k) => percent(k.serviceLevel) },
  { head: 'Average speed of answer', cell: (k) => duration(k.averageSpeedOfAnswerSeconds) },
  { head: 'First response p50', more: ' (median)', cell: (k) => duration(k.firstResponseSeconds.p50) },
  { head: 'First response p90', cell: (k) => duration(k.firstResponseSeconds.p90) },
  { head: 'Abandoned', more: ' today', cell: (k) => `${count(k.abandonedToday)} (${count(k.abandonedUnder5sToday)} under 5 s)` },
  { head: 'Backlog under 1 day', more: ' (working days)', cell: (k) => count(k.backlogAgeBands.underOneDay) },
  { head: 'Backlog 1–3 days', cell: (k) => count(k.backlogAgeBands.oneToThreeDays) },
  { head: 'Backlog 3–10 days', cell: (k) => count(k.backlogAgeBands.threeToTenDays) },
  { head: 'Backlog over 10 days', cell: (k) => count(k.backlogAgeBands.overTenDays) },
];

/** True when the department's oldest waiting case is past its answer target. */
export function overTarget(d: DepartmentSnapshot): boolean {
  return d.totals.longestWaitSeconds !== null && d.totals.longestWaitSeconds > d.answerTargetSeconds;
}

function longest(k: Kpis, d: DepartmentSnapshot): string | Node {
  if (k.longestWaitSeconds === null) return 'No one waiting';
  if (k.longestWaitSeconds <= d.answerTargetSeconds) return duration(k.longestWaitSeconds);
  return h('span', null, duration(k.longestWaitSeconds), ' ', h('strong', { class: 'hub-over' }, h('span', { 'aria-hidden': 'true' }, '! '), 'over target'));
}

/**
 * One table per department, a row per channel after the department's own totals. The tables are wide: each sits in
 * a region that scrolls sideways on a narrow screen (WCAG 1.4.10 allows it for data tables), reachable by keyboard.
 */
export function departmentSection(departments: DepartmentSnapshot[]): HTMLElement {
  return h(
    'section',
    { class: 'hub-departments', 'aria-labelledby': 'departments-heading' },
    h('h2', { class: 'govuk-heading-m', id: 'departments-heading' }, 'Departments'),
    departments.length ? departments.map(departmentTable) : h('p', { class: 'govuk-body' }, 'You do not supervise any department yet.'),
  );
}

function departmentTable(d: DepartmentSnapshot): HTMLElement {
  const headingId = `dept-${d.slug}-heading`;
  return h(
    'div',
    { class: 'hub-department', 'data-department': d.slug },
    h('h3', { class: 'govuk-heading-s', id: headingId }, d.name),
    h('p', { class: 'govuk-body-s hub-department__target' }, `Answer target: ${duration(d.answerTargetSeconds)}.`),
    targetStatus(overTarget(d) ? [d.name] : []),
    h(
      'div',
      { class: 'hub-table-scroll', role: 'region', 'aria-label': `${d.name}: table`, tabindex: '0', id: `dept-${d.slug}-scroll` },
      h(
        'table',
        { class: 'govuk-table hub-metrics-table', id: `dept-${d.slug}-table` },
        h('caption', { class: 'govuk-table__caption govuk-table__caption--s govuk-visually-hidden' }, `${d.name}: queue figures by channel`),
        h(
          'thead',
          { class: 'govuk-table__head' },
          h(
            'tr',
            { class: 'govuk-table__row' },
            h('th', { scope: 'col', class: 'govuk-table__header' }, 'Channel'),
            COLUMNS.map((c) => h('th', { scope: 'col', class: 'govuk-table__header govuk-table__header--numeric' }, c.head, c.more ? hidden(c.more) : null)),
          ),
        ),
        h(
          'tbody',
          { class: 'govuk-table__body' },
          row('All channels', d.totals, d, 'hub-row--total'),
          d.channels.map((c) => row(channelLabel(c.channel), c.kpis, d, '', c.channel)),
        ),
      ),
    ),
  );
}

function row(label: string, k: Kpis, d: DepartmentSnapshot, extra: string, channel?: string): HTMLElement {
  return h(
    'tr',
    { class: `govuk-table__row ${extra}`.trim(), 'data-channel': channel ?? 'all' },
    h('th', { scope: 'row', class: 'govuk-table__header' }, label),
    COLUMNS.map((c) => h('td', { class: 'govuk-table__cell govuk-table__cell--numeric', 'data-column': c.head }, c.cell(k, d))),
  );
}
