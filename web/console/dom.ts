/**
 * A few lines instead of a framework. Everything the page shows is built with createElement and text nodes:
 * strings always become text, never markup, so a resident's message cannot inject HTML.
 */

export type Child = Node | string | number | null | undefined | false | Child[];
type AttrValue = string | number | boolean | null | undefined;
export type Attrs = { [name: string]: AttrValue | EventListener | ((e: never) => void) };

/** Properties rather than attributes: they hold the live state of a form control. */
const PROPERTIES = new Set(['value', 'checked', 'selected']);

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (typeof value === 'function') el.addEventListener(name.slice(2).toLowerCase(), value as EventListener);
    else if (PROPERTIES.has(name)) (el as unknown as Record<string, unknown>)[name] = value;
    else if (name === 'class') el.className = String(value);
    else el.setAttribute(name, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(parent, child);
    else parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T | null {
  return document.getElementById(id) as T | null;
}

/** Text for people using a screen reader only (GOV.UK's visually hidden class). */
export function hidden(text: string): HTMLSpanElement {
  return h('span', { class: 'govuk-visually-hidden' }, text);
}

/**
 * Re-renders a region without losing the user's place: the focused control (found again by its id) gets focus
 * back, with its caret, if the render replaced it.
 */
export function keepFocus(render: () => void): void {
  const active = document.activeElement as HTMLElement | null;
  const id = active?.id;
  const caret = active instanceof HTMLInputElement || active instanceof HTMLTextAreaElement ? [active.selectionStart, active.selectionEnd] : null;
  render();
  if (!id || document.activeElement === active) return;
  const again = document.getElementById(id);
  if (!again || again === document.activeElement) return;
  again.focus({ preventScroll: true });
  if (caret && (again instanceof HTMLInputElement || again instanceof HTMLTextAreaElement) && caret[0] !== null) {
    try {
      again.setSelectionRange(caret[0], caret[1]);
    } catch {
      /* not every input type has a selection */
    }
  }
}

/** Moves focus to a heading or region that is not focusable by itself (GOV.UK pattern for a new view). */
export function focusTarget(el: HTMLElement | null): void {
  if (!el) return;
  if (!el.hasAttribute('tabindex')) el.setAttribute('tabindex', '-1');
  el.focus();
}

let ids = 0;
export function uid(prefix: string): string {
  ids += 1;
  return `${prefix}-${ids}`;
}
