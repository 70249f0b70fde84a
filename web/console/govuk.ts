import { Attrs, Child, h, hidden } from './dom';

/** GOV.UK Frontend components as DOM builders (the markup of govuk-frontend 6's templates). */

export type TagColour = 'grey' | 'green' | 'turquoise' | 'teal' | 'purple' | 'magenta' | 'pink' | 'red' | 'orange' | 'yellow' | 'blue';

export function tag(text: string, colour: TagColour = 'blue', extra = ''): HTMLElement {
  const modifier = colour === 'blue' ? '' : ` govuk-tag--${colour}`;
  return h('strong', { class: `govuk-tag${modifier}${extra ? ` ${extra}` : ''}` }, text);
}

export interface ButtonOptions {
  id?: string;
  kind?: 'primary' | 'secondary' | 'warning';
  type?: 'button' | 'submit';
  small?: boolean;
  describedBy?: string;
  attrs?: Attrs;
  onClick?: (e: MouseEvent) => void;
}

export function button(text: Child, opts: ButtonOptions = {}): HTMLButtonElement {
  const kind = opts.kind === 'secondary' ? ' govuk-button--secondary' : opts.kind === 'warning' ? ' govuk-button--warning' : '';
  return h(
    'button',
    {
      type: opts.type ?? 'button',
      id: opts.id,
      class: `govuk-button${kind}${opts.small ? ' hub-button--small' : ''}`,
      'data-module': 'govuk-button',
      'aria-describedby': opts.describedBy,
      onclick: opts.onClick,
      ...opts.attrs,
    },
    text,
  );
}

export interface Option {
  value: string;
  text: string;
}

export interface FieldOptions {
  id: string;
  label: string;
  hint?: string;
  error?: string;
  labelClass?: string;
  groupClass?: string;
}

function describedBy(opts: FieldOptions): string | undefined {
  const ids = [opts.hint ? `${opts.id}-hint` : '', opts.error ? `${opts.id}-error` : ''].filter(Boolean);
  return ids.length ? ids.join(' ') : undefined;
}

function fieldParts(opts: FieldOptions): Child[] {
  return [
    h('label', { class: `govuk-label${opts.labelClass ? ` ${opts.labelClass}` : ''}`, for: opts.id }, opts.label),
    opts.hint ? h('div', { class: 'govuk-hint', id: `${opts.id}-hint` }, opts.hint) : null,
    opts.error ? errorMessage(`${opts.id}-error`, opts.error) : null,
  ];
}

export function errorMessage(id: string, text: string): HTMLElement {
  return h('p', { class: 'govuk-error-message', id }, hidden('Error: '), text);
}

function group(opts: FieldOptions, ...children: Child[]): HTMLDivElement {
  return h('div', { class: `govuk-form-group${opts.error ? ' govuk-form-group--error' : ''}${opts.groupClass ? ` ${opts.groupClass}` : ''}` }, ...children);
}

export function select(opts: FieldOptions & { options: Option[]; value?: string; onChange?: (value: string) => void }): HTMLDivElement {
  const el = h(
    'select',
    {
      class: `govuk-select${opts.error ? ' govuk-select--error' : ''}`,
      id: opts.id,
      name: opts.id,
      'aria-describedby': describedBy(opts),
      onchange: opts.onChange ? (e: Event) => opts.onChange!((e.target as HTMLSelectElement).value) : undefined,
    },
    opts.options.map((o) => h('option', { value: o.value, selected: o.value === opts.value }, o.text)),
  );
  return group(opts, ...fieldParts(opts), el);
}

export function input(opts: FieldOptions & { type?: string; value?: string; autocomplete?: string; spellcheck?: boolean; inputClass?: string }): HTMLDivElement {
  const el = h('input', {
    class: `govuk-input${opts.error ? ' govuk-input--error' : ''}${opts.inputClass ? ` ${opts.inputClass}` : ''}`,
    id: opts.id,
    name: opts.id,
    type: opts.type ?? 'text',
    value: opts.value,
    autocomplete: opts.autocomplete,
    spellcheck: opts.spellcheck === false ? 'false' : undefined,
    autocapitalize: opts.spellcheck === false ? 'none' : undefined,
    'aria-describedby': describedBy(opts),
  });
  return group(opts, ...fieldParts(opts), el);
}

export function passwordInput(opts: FieldOptions): HTMLDivElement {
  const el = h('input', {
    class: `govuk-input govuk-password-input__input govuk-js-password-input-input${opts.error ? ' govuk-input--error' : ''}`,
    id: opts.id,
    name: opts.id,
    type: 'password',
    spellcheck: 'false',
    autocomplete: 'current-password',
    autocapitalize: 'none',
    'aria-describedby': describedBy(opts),
  });
  const toggle = h(
    'button',
    {
      type: 'button',
      class: 'govuk-button govuk-button--secondary govuk-password-input__toggle govuk-js-password-input-toggle',
      'data-module': 'govuk-button',
      'aria-controls': opts.id,
      'aria-label': 'Show password',
      hidden: true,
    },
    'Show',
  );
  const root = group(opts, ...fieldParts(opts), h('div', { class: 'govuk-input__wrapper govuk-password-input__wrapper' }, el, toggle));
  root.classList.add('govuk-password-input');
  root.setAttribute('data-module', 'govuk-password-input');
  return root;
}

/** A textarea with GOV.UK's character count (initialised by the caller once it is in the page). */
export function characterCount(opts: FieldOptions & { maxLength: number; rows?: number; value?: string }): HTMLDivElement {
  const el = h('textarea', {
    class: `govuk-textarea govuk-js-character-count${opts.error ? ' govuk-textarea--error' : ''}`,
    id: opts.id,
    name: opts.id,
    rows: opts.rows ?? 4,
    'aria-describedby': [`${opts.id}-info`, describedBy(opts)].filter(Boolean).join(' '),
    value: opts.value,
  });
  const root = group(
    opts,
    ...fieldParts(opts),
    el,
    h('div', { id: `${opts.id}-info`, class: 'govuk-hint govuk-character-count__message' }, `You can enter up to ${opts.maxLength} characters`),
  );
  root.classList.add('govuk-character-count');
  root.setAttribute('data-module', 'govuk-character-count');
  root.setAttribute('data-maxlength', String(opts.maxLength));
  return root;
}

export function checkbox(opts: { id: string; label: string; checked: boolean; hint?: string; onChange: (checked: boolean) => void }): HTMLDivElement {
  return h(
    'div',
    { class: 'govuk-checkboxes govuk-checkboxes--small', 'data-module': 'govuk-checkboxes' },
    h(
      'div',
      { class: 'govuk-checkboxes__item' },
      h('input', {
        class: 'govuk-checkboxes__input',
        id: opts.id,
        name: opts.id,
        type: 'checkbox',
        checked: opts.checked,
        'aria-describedby': opts.hint ? `${opts.id}-hint` : undefined,
        onchange: (e: Event) => opts.onChange((e.target as HTMLInputElement).checked),
      }),
      h('label', { class: 'govuk-label govuk-checkboxes__label', for: opts.id }, opts.label),
      opts.hint ? h('div', { class: 'govuk-hint govuk-checkboxes__hint', id: `${opts.id}-hint` }, opts.hint) : null,
    ),
  );
}

export interface SummaryItem {
  href?: string;
  text: string;
}

export function errorSummary(items: SummaryItem[], title = 'There is a problem'): HTMLDivElement {
  return h(
    'div',
    { class: 'govuk-error-summary', 'data-module': 'govuk-error-summary' },
    h(
      'div',
      { role: 'alert' },
      h('h2', { class: 'govuk-error-summary__title' }, title),
      h(
        'div',
        { class: 'govuk-error-summary__body' },
        h(
          'ul',
          { class: 'govuk-list govuk-error-summary__list' },
          items.map((i) => h('li', null, i.href ? h('a', { href: i.href }, i.text) : i.text)),
        ),
      ),
    ),
  );
}

export function warning(...text: Child[]): HTMLDivElement {
  return h(
    'div',
    { class: 'govuk-warning-text' },
    h('span', { class: 'govuk-warning-text__icon', 'aria-hidden': 'true' }, '!'),
    h('strong', { class: 'govuk-warning-text__text' }, hidden('Warning'), ...text),
  );
}
