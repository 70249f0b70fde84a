import { keepFocus, replace } from '../console/dom';

/** The pieces of a region that hold its figures: cells, captions and status lines. */
const LEAVES = 'th, td, caption, p';

/**
 * Shows a freshly built region in place of the one on screen. When only figures changed (same departments, channels
 * and people, in the same order) just the changed cells are swapped, so a table scrolled sideways stays where it is
 * and focus never moves, and a screen reader is not sent back to the start of a region every 2 seconds. A new shape
 * (a department, channel or agent more or less) replaces the region whole.
 */
export function patch(area: HTMLElement, fresh: HTMLElement): void {
  const old = area.firstElementChild as HTMLElement | null;
  if (!old || shape(old) !== shape(fresh)) {
    keepFocus(() => replace(area, fresh));
    return;
  }
  const before = [...old.querySelectorAll<HTMLElement>(LEAVES)];
  const after = [...fresh.querySelectorAll<HTMLElement>(LEAVES)];
  before.forEach((leaf, i) => {
    if (leaf.outerHTML !== after[i].outerHTML) leaf.replaceWith(after[i]);
  });
}

function shape(root: HTMLElement): string {
  return [...root.querySelectorAll<HTMLElement>(`${LEAVES}, tr, table`)]
    .map((el) => `${el.tagName}${el.dataset.department ?? ''}${el.dataset.channel ?? ''}${el.dataset.agentId ?? ''}${el.dataset.caseId ?? ''}${el.id}`)
    .join('|');
}
