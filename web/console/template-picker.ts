import { h, hidden, replace } from './dom';
import { channelLabel, fullTime } from './format';
import { button, errorMessage } from './govuk';
import { Channel, ComposeOptions, ComposeTemplate } from './protocol';

/** "case-update" → "Case update": template names are ids, agents read words. */
export function templateTitle(t: ComposeTemplate): string {
  const words = t.name.replace(/[-_]+/g, ' ').trim();
  const title = words ? words.charAt(0).toUpperCase() + words.slice(1) : t.id;
  return t.language ? `${title} (${t.language})` : title;
}

/** Why only templates can go now, in the agent's words. */
export function templatesOnlyText(channel: Channel, lastInboundAt: string | null | undefined): string {
  const label = channelLabel(channel);
  if (!lastInboundAt) return `The resident has not written to us on ${label}, so ${label} only allows approved templates until they do.`;
  return `The resident last wrote on ${fullTime(lastInboundAt)}, more than 24 hours ago. ${label} only allows approved templates until they write again.`;
}

/** "You can type a reply until …": shown while the window is open, so the agent knows how long it has. */
export function windowText(channel: Channel, options: ComposeOptions | null): string {
  if (!options?.freeText || !options.windowClosesAt) return '';
  return `${channelLabel(channel)} accepts a typed reply until ${fullTime(options.windowClosesAt)} (24 hours after the resident’s last message). After that, only approved templates can be sent.`;
}

/**
 * The reply form when a channel takes only approved templates (WhatsApp more than 24 hours after the resident last
 * wrote): why, then the templates as GOV.UK radios with the text the resident will read, and a Send template
 * button. What happened is said in a status region; a problem is a GOV.UK error on the radios.
 */
export class TemplatePicker {
  readonly root: HTMLElement;
  private sending = false;

  constructor(
    private readonly channel: Channel,
    private readonly send: (templateId: string) => Promise<string | null>,
    /** Why nothing can be sent now (not connected, someone else's case…), checked before sending. */
    private readonly blocked: () => string | null,
  ) {
    this.root = h('div', { id: 'reply-templates', class: 'hub-templates', hidden: true });
  }

  get shown(): boolean {
    return !this.root.hidden;
  }

  /** Shows the picker for these options, keeping the agent's choice if that template is still offered. */
  show(options: ComposeOptions): void {
    const chosen = this.chosen();
    const status = document.getElementById('template-status')?.textContent ?? '';
    this.root.hidden = false;
    const why = h('div', { class: 'govuk-inset-text hub-templates__why', id: 'templates-why' }, templatesOnlyText(this.channel, options.lastInboundAt));
    if (!options.templates.length) {
      replace(
        this.root,
        why,
        h('p', { class: 'govuk-body', id: 'templates-none' }, 'This inbox has no approved templates, so nothing can be sent until the resident writes again. An administrator can add templates to the inbox’s settings.'),
      );
      return;
    }
    replace(
      this.root,
      why,
      h(
        'form',
        { id: 'template-form', novalidate: true, onsubmit: (e: Event) => void this.submit(e) },
        h(
          'div',
          { class: 'govuk-form-group', id: 'template-group' },
          h(
            'fieldset',
            { class: 'govuk-fieldset', 'aria-describedby': 'templates-why' },
            h('legend', { class: 'govuk-fieldset__legend govuk-fieldset__legend--s' }, h('h4', { class: 'govuk-fieldset__heading' }, 'Choose an approved template')),
            h('div', { class: 'govuk-hint', id: 'template-hint' }, 'Each template is shown as the resident will read it.'),
            h(
              'div',
              { class: 'govuk-radios', 'data-module': 'govuk-radios', id: 'template-radios' },
              options.templates.map((t, i) => this.radio(t, i, t.id === chosen)),
            ),
          ),
        ),
        h('div', { class: 'govuk-button-group' }, button('Send template', { id: 'template-send', type: 'submit' })),
      ),
      h('p', { class: 'govuk-body-s hub-templates__status', id: 'template-status', role: 'status' }, status),
    );
    const fieldset = this.root.querySelector('fieldset')!;
    fieldset.setAttribute('aria-describedby', 'templates-why template-hint');
  }

  hide(): void {
    this.root.hidden = true;
    replace(this.root);
  }

  focus(): void {
    (this.root.querySelector<HTMLInputElement>('input[name="template"]:checked') ?? this.root.querySelector<HTMLInputElement>('input[name="template"]'))?.focus();
  }

  private radio(t: ComposeTemplate, i: number, checked: boolean): HTMLElement {
    const id = `template-${i}`;
    return h(
      'div',
      { class: 'govuk-radios__item' },
      h('input', { class: 'govuk-radios__input', id, name: 'template', type: 'radio', value: t.id, checked, 'aria-describedby': `${id}-preview` }),
      h('label', { class: 'govuk-label govuk-radios__label', for: id }, templateTitle(t)),
      h('div', { class: 'govuk-hint govuk-radios__hint hub-templates__preview', id: `${id}-preview` }, hidden('The resident will read: '), t.text),
    );
  }

  private chosen(): string | null {
    return this.root.querySelector<HTMLInputElement>('input[name="template"]:checked')?.value ?? null;
  }

  private async submit(e: Event): Promise<void> {
    e.preventDefault();
    if (this.sending) return;
    const blocked = this.blocked();
    if (blocked) return this.showError(blocked);
    const templateId = this.chosen();
    if (!templateId) return this.showError('Choose a template to send');
    const sendButton = document.getElementById('template-send') as HTMLButtonElement;
    this.sending = true;
    sendButton.disabled = true;
    this.say('Sending the template…');
    const error = await this.send(templateId);
    this.sending = false;
    sendButton.disabled = false;
    if (error) {
      this.say('');
      return this.showError(error);
    }
    this.showError(null);
    const sent = this.root.querySelector<HTMLInputElement>('input[name="template"]:checked');
    const title = (sent && this.root.querySelector(`label[for="${sent.id}"]`)?.textContent) || 'The template';
    if (sent) sent.checked = false;
    this.say(`Template sent: “${title}”. Its delivery status shows in the conversation.`);
  }

  private say(text: string): void {
    const status = document.getElementById('template-status');
    if (status) status.textContent = text;
  }

  /** GOV.UK's error pattern on the radios: the group marked, the message before them and read with the fieldset. */
  private showError(message: string | null): void {
    const group = document.getElementById('template-group');
    if (!group) return;
    document.getElementById('template-error')?.remove();
    group.classList.toggle('govuk-form-group--error', !!message);
    const fieldset = group.querySelector('fieldset')!;
    const describedBy = ['templates-why', 'template-hint'];
    if (message) {
      const error = errorMessage('template-error', message);
      error.setAttribute('role', 'alert');
      document.getElementById('template-radios')!.before(error);
      describedBy.push('template-error');
      this.focus();
    }
    fieldset.setAttribute('aria-describedby', describedBy.join(' '));
  }
}
