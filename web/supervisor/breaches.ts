import { h } from '../console/dom';
import { clock } from './format';
import { SlaAlert } from './protocol';

const TARGET_LABEL: Record<SlaAlert['target'], string> = { firstResponse: 'First response', resolution: 'Resolution' };

/**
 * The open cases past or near their SLA targets: one entry per case and target, a breach replacing the warning
 * before it. Kept from GET /api/v1/sla/breaches and then from `sla:alert` pushes.
 */
export class Breaches {
  private readonly alerts = new Map<string, SlaAlert>();

  reset(alerts: SlaAlert[]): void {
    this.alerts.clear();
    for (const a of alerts) this.put(a);
  }

  /** True when the alert is news (not one already shown, and not a warning after its breach). */
  put(a: SlaAlert): boolean {
    const key = `${a.caseId}:${a.target}`;
    const had = this.alerts.get(key);
    if (had && (had.kind === 'breach' || had.kind === a.kind)) return false;
    this.alerts.set(key, a);
    return true;
  }

  get size(): number {
    return this.alerts.size;
  }

  render(departmentName: (id: string) => string): HTMLElement {
    const list = [...this.alerts.values()].sort((a, b) => rank(a) - rank(b) || Date.parse(a.dueAt) - Date.parse(b.dueAt));
    const breaches = list.filter((a) => a.kind === 'breach').length;
    return h(
      'section',
      { class: 'hub-breaches', 'aria-labelledby': 'breaches-heading' },
      h('h2', { class: 'govuk-heading-m', id: 'breaches-heading' }, 'SLA breaches and warnings'),
      h('p', { class: 'govuk-body', id: 'breaches-summary' }, list.length ? `${breaches} breached, ${list.length - breaches} near their target.` : 'No open case is past or near its SLA target.'),
      list.length
        ? h(
            'div',
            { class: 'hub-table-scroll', role: 'region', 'aria-label': 'SLA breaches and warnings: table', tabindex: '0', id: 'breaches-scroll' },
            h(
              'table',
              { class: 'govuk-table hub-metrics-table', id: 'breaches-table' },
              h('caption', { class: 'govuk-table__caption govuk-visually-hidden' }, 'Cases past or near their SLA target, breaches first'),
              h(
                'thead',
                { class: 'govuk-table__head' },
                h('tr', { class: 'govuk-table__row' }, ['Case', 'Status', 'Target', 'Due', 'Department', 'Owner'].map((t) => h('th', { scope: 'col', class: 'govuk-table__header' }, t))),
              ),
              h(
                'tbody',
                { class: 'govuk-table__body' },
                list.map((a) =>
                  h(
                    'tr',
                    { class: 'govuk-table__row', 'data-case-id': a.caseId, 'data-kind': a.kind },
                    h('th', { scope: 'row', class: 'govuk-table__header' }, h('a', { class: 'govuk-link', href: `/console#/cases/${a.caseId}` }, a.reference)),
                    h('td', { class: 'govuk-table__cell' }, kindTag(a.kind)),
                    h('td', { class: 'govuk-table__cell' }, TARGET_LABEL[a.target] ?? a.target),
                    h('td', { class: 'govuk-table__cell' }, clock(a.dueAt)),
                    h('td', { class: 'govuk-table__cell' }, departmentName(a.departmentId)),
                    h('td', { class: 'govuk-table__cell' }, a.assignee?.name ?? 'Unassigned'),
                  ),
                ),
              ),
            ),
          )
        : null,
    );
  }
}

/** Sentence for the status region when an alert arrives. */
export function alertSentence(a: SlaAlert): string {
  const what = a.target === 'firstResponse' ? 'first response' : 'resolution';
  return a.kind === 'breach' ? `SLA breached: case ${a.reference}, ${what} was due at ${clock(a.dueAt)}.` : `SLA warning: case ${a.reference}, ${what} due at ${clock(a.dueAt)}.`;
}

const rank = (a: SlaAlert) => (a.kind === 'breach' ? 0 : 1);

/** Icon and word, the colour only repeating them. */
function kindTag(kind: SlaAlert['kind']): HTMLElement {
  return kind === 'breach'
    ? h('strong', { class: 'govuk-tag govuk-tag--red hub-tag' }, h('span', { 'aria-hidden': 'true' }, '✖ '), 'Breached')
    : h('strong', { class: 'govuk-tag govuk-tag--yellow hub-tag' }, h('span', { 'aria-hidden': 'true' }, '! '), 'Warning');
}
