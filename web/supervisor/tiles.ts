import { Child, h, hidden, replace } from '../console/dom';
import { PRESENCE_LABEL } from '../console/format';
import { Presence } from '../console/protocol';
import { BAND_LABEL, count, duration, NONE, percent } from './format';
import { TileKey, tileHelp } from './help';
import { Kpis } from './protocol';

/** What a tile shows: its headline figure and the line (or list) under it. */
interface Shown {
  value: string;
  detail: Child;
}

const NOW: TileKey[] = ['waiting', 'longestWait', 'inProgress', 'pendingOnResident', 'agentsByPresence', 'backlogAgeBands'];
const TODAY: TileKey[] = ['serviceLevel', 'averageSpeedOfAnswer', 'firstResponse', 'abandoned'];

/**
 * The totals as tiles, in two groups with real headings. Built once; each snapshot only changes the figures'
 * text, so an open help text or the reader's place is never lost to a refresh.
 */
export class Tiles {
  readonly root: HTMLElement;
  private readonly slots = new Map<TileKey, { value: HTMLElement; detail: HTMLElement }>();

  constructor() {
    this.root = h(
      'section',
      { class: 'hub-tiles', 'aria-labelledby': 'tiles-heading' },
      h('h2', { class: 'govuk-heading-m', id: 'tiles-heading' }, 'All your departments'),
      this.group('tiles-now', 'Queue now', NOW),
      this.group('tiles-today', 'Today so far', TODAY),
    );
  }

  /** `overTarget`: the departments whose longest wait is past their answer target. */
  update(k: Kpis, overTarget: string[]): void {
    for (const [key, slot] of this.slots) {
      const shown = show(key, k, overTarget);
      if (slot.value.textContent !== shown.value) slot.value.textContent = shown.value;
      replace(slot.detail, shown.detail);
    }
  }

  private group(id: string, title: string, keys: TileKey[]): HTMLElement {
    return h(
      'div',
      { class: 'hub-tiles__group' },
      h('h3', { class: 'govuk-heading-s', id }, title),
      h('ul', { class: 'hub-tiles__list', 'aria-labelledby': id }, keys.map((key) => this.tile(key))),
    );
  }

  private tile(key: TileKey): HTMLElement {
    const { label, definitions } = tileHelp(key);
    const value = h('p', { class: 'hub-tile__value', 'data-kpi': key }, '–');
    const detail = h('div', { class: 'hub-tile__detail govuk-body-s', 'data-kpi-detail': key });
    this.slots.set(key, { value, detail });
    return h(
      'li',
      { class: 'hub-tile', 'data-tile': key },
      h('h4', { class: 'hub-tile__label govuk-heading-s' }, label),
      value,
      detail,
      h(
        'details',
        { class: 'govuk-details hub-tile__help' },
        h('summary', { class: 'govuk-details__summary' }, h('span', { class: 'govuk-details__summary-text' }, 'How it is counted', hidden(`: ${label}`))),
        h(
          'div',
          { class: 'govuk-details__text' },
          definitions.length === 1
            ? definitions[0].definition
            : h('dl', { class: 'hub-definitions' }, definitions.map((d) => [h('dt', null, d.label), h('dd', null, d.definition)])),
        ),
      ),
    );
  }
}

function show(key: TileKey, k: Kpis, overTarget: string[]): Shown {
  switch (key) {
    case 'waiting':
      return { value: count(k.waiting), detail: k.waiting === 1 ? 'case not yet claimed' : 'cases not yet claimed' };
    case 'longestWait':
      return { value: k.longestWaitSeconds === null ? 'No one waiting' : duration(k.longestWaitSeconds), detail: targetStatus(overTarget) };
    case 'inProgress':
      return { value: count(k.inProgress), detail: 'owned by an agent' };
    case 'pendingOnResident':
      return { value: count(k.pendingOnResident), detail: 'SLA clock paused' };
    case 'agentsByPresence':
      return {
        value: `${count(k.agentsByPresence.available)} available`,
        detail: list((Object.keys(PRESENCE_LABEL) as Presence[]).map((p) => `${PRESENCE_LABEL[p]}: ${count(k.agentsByPresence[p] ?? 0)}`)),
      };
    case 'backlogAgeBands': {
      const b = k.backlogAgeBands;
      const total = b.underOneDay + b.oneToThreeDays + b.threeToTenDays + b.overTenDays;
      return { value: `${count(total)} open`, detail: list((Object.keys(BAND_LABEL) as Array<keyof typeof BAND_LABEL>).map((band) => `${BAND_LABEL[band]}: ${count(b[band])}`)) };
    }
    case 'serviceLevel':
      return { value: percent(k.serviceLevel), detail: `${count(k.answeredWithinTargetToday)} of ${count(k.offeredToday)} offered answered within target` };
    case 'averageSpeedOfAnswer':
      return { value: duration(k.averageSpeedOfAnswerSeconds), detail: `over ${count(k.answeredToday)} answered` };
    case 'firstResponse':
      return {
        value: k.firstResponseSeconds.p50 === null ? NONE : `${duration(k.firstResponseSeconds.p50)} median`,
        detail: list([`Median (p50): ${duration(k.firstResponseSeconds.p50)}`, `9 in 10 within (p90): ${duration(k.firstResponseSeconds.p90)}`]),
      };
    case 'abandoned':
      return { value: count(k.abandonedToday), detail: `${count(k.abandonedUnder5sToday)} of them within 5 seconds` };
  }
}

function list(lines: string[]): HTMLElement {
  return h('ul', { class: 'govuk-list hub-tile__list' }, lines.map((l) => h('li', null, l)));
}

/** Words and an icon, never colour alone. */
export function targetStatus(overTarget: string[]): HTMLElement {
  if (!overTarget.length) return h('p', { class: 'hub-status hub-status--ok' }, h('span', { class: 'hub-status__icon', 'aria-hidden': 'true' }, '✓'), 'Within answer targets');
  const where = overTarget.length === 1 ? overTarget[0] : `${overTarget.length} departments`;
  return h('p', { class: 'hub-status hub-status--over' }, h('span', { class: 'hub-status__icon', 'aria-hidden': 'true' }, '!'), `Over answer target: ${where}`);
}
