import { h } from '../console/dom';
import { PRESENCE_LABEL } from '../console/format';
import { tag, TagColour } from '../console/govuk';
import { Presence } from '../console/protocol';
import { count } from './format';
import { AgentLoad, DepartmentSnapshot } from './protocol';

const PRESENCE_COLOUR: Record<Presence, TagColour> = { available: 'green', busy: 'orange', away: 'yellow', offline: 'grey' };
const PRESENCE_ORDER: Record<Presence, number> = { available: 0, busy: 1, away: 2, offline: 3 };
const ROLE_LABEL: Record<string, string> = { agent: 'Agent', supervisor: 'Supervisor', admin: 'Admin' };

/** Staff with their status (a word in a tag: the colour only repeats it) and how many cases they hold. */
export function agentsSection(agents: AgentLoad[], departments: DepartmentSnapshot[]): HTMLElement {
  const names = new Map(departments.map((d) => [d.departmentId, d.name]));
  const order = (a: AgentLoad) => PRESENCE_ORDER[a.presence as Presence] ?? 9;
  const sorted = [...agents].sort((a, b) => order(a) - order(b) || a.name.localeCompare(b.name));
  return h(
    'section',
    { class: 'hub-agents', 'aria-labelledby': 'agents-heading' },
    h('h2', { class: 'govuk-heading-m', id: 'agents-heading' }, 'Agents'),
    sorted.length
      ? h(
          'div',
          { class: 'hub-table-scroll', role: 'region', 'aria-label': 'Agents: table', tabindex: '0', id: 'agents-scroll' },
          h(
            'table',
            { class: 'govuk-table hub-metrics-table', id: 'agents-table' },
            h('caption', { class: 'govuk-table__caption govuk-visually-hidden' }, 'Agents, their status and load'),
            h(
              'thead',
              { class: 'govuk-table__head' },
              h(
                'tr',
                { class: 'govuk-table__row' },
                ['Name', 'Role', 'Status', 'Load', 'Departments'].map((t) => h('th', { scope: 'col', class: 'govuk-table__header' }, t)),
              ),
            ),
            h(
              'tbody',
              { class: 'govuk-table__body' },
              sorted.map((a) =>
                h(
                  'tr',
                  { class: 'govuk-table__row', 'data-agent-id': a.id },
                  h('th', { scope: 'row', class: 'govuk-table__header' }, a.name),
                  h('td', { class: 'govuk-table__cell' }, ROLE_LABEL[a.role] ?? a.role),
                  h('td', { class: 'govuk-table__cell' }, tag(PRESENCE_LABEL[a.presence as Presence] ?? a.presence, PRESENCE_COLOUR[a.presence as Presence] ?? 'grey', 'hub-tag')),
                  h('td', { class: 'govuk-table__cell' }, load(a)),
                  h('td', { class: 'govuk-table__cell' }, a.departmentIds.map((id) => names.get(id)).filter(Boolean).join(', ') || '–'),
                ),
              ),
            ),
          ),
        )
      : h('p', { class: 'govuk-body' }, 'No staff in your departments.'),
  );
}

function load(a: AgentLoad): string {
  const full = a.capacity > 0 && a.load >= a.capacity ? ' (full)' : '';
  return `${count(a.load)} of ${count(a.capacity)} cases${full}`;
}
