import { h, replace } from './dom';
import { button, checkbox } from './govuk';
import { saveSettings, Settings } from './settings';

export const SHORTCUTS: [string, string][] = [
  ['N', 'Claim the next case'],
  ['R', 'Go to the reply box of the open case'],
  ['Q', 'Go to the queue'],
  ['?', 'Open these settings'],
  ['Ctrl + Enter', 'Send the reply (in the reply box)'],
];

/**
 * "Settings and keyboard shortcuts", always on the page: single-key shortcuts on or off (WCAG 2.1.4) and
 * desktop notifications, both remembered in this browser.
 */
export class SettingsPanel {
  readonly root: HTMLDetailsElement;
  private readonly body: HTMLElement;

  constructor(private readonly settings: Settings) {
    this.body = h('div', { class: 'govuk-details__text' });
    this.root = h(
      'details',
      { class: 'govuk-details hub-settings', id: 'settings' },
      h('summary', { class: 'govuk-details__summary', id: 'settings-summary' }, h('span', { class: 'govuk-details__summary-text' }, 'Settings and keyboard shortcuts')),
      this.body,
    );
    this.render();
    this.apply();
  }

  open(): void {
    this.root.open = true;
    document.getElementById('settings-summary')?.focus();
  }

  private render(): void {
    replace(
      this.body,
      checkbox({
        id: 'setting-shortcuts',
        label: 'Use single-key keyboard shortcuts',
        hint: 'Turn them off if you use speech recognition software or the keys get in your way.',
        checked: this.settings.shortcuts,
        onChange: (on) => this.change({ shortcuts: on }),
      }),
      h(
        'dl',
        { class: 'hub-shortcuts', id: 'shortcut-list' },
        SHORTCUTS.map(([key, what]) => h('div', { class: 'hub-shortcuts__item' }, h('dt', null, h('kbd', null, key)), h('dd', null, what))),
      ),
      this.notificationControl(),
    );
  }

  private notificationControl(): HTMLElement {
    const wrap = (...children: (Node | string)[]) => h('div', { class: 'hub-settings__notifications' }, h('h3', { class: 'govuk-heading-s' }, 'Desktop notifications'), ...children);
    if (!('Notification' in window)) return wrap(h('p', { class: 'govuk-body-s' }, 'This browser cannot show desktop notifications. New cases are still announced on this page.'));
    if (Notification.permission === 'denied') {
      return wrap(h('p', { class: 'govuk-body-s' }, 'Your browser blocks notifications from this site. New cases are still announced on this page.'));
    }
    if (Notification.permission === 'default') {
      return wrap(
        h('p', { class: 'govuk-body-s' }, 'Get a notification for new cases while the console is in the background.'),
        button('Allow desktop notifications', {
          id: 'allow-notifications',
          kind: 'secondary',
          small: true,
          onClick: () =>
            void Notification.requestPermission().then((p) => {
              this.change({ desktopNotifications: p === 'granted' });
            }),
        }),
      );
    }
    return wrap(
      checkbox({
        id: 'setting-notifications',
        label: 'Show a desktop notification for new cases while the console is in the background',
        checked: this.settings.desktopNotifications,
        onChange: (on) => this.change({ desktopNotifications: on }),
      }),
    );
  }

  private change(patch: Partial<Settings>): void {
    Object.assign(this.settings, patch);
    saveSettings(this.settings);
    const focused = document.activeElement?.id;
    this.render();
    this.apply();
    if (focused) document.getElementById(focused)?.focus();
  }

  /** Hints such as "(N)" on buttons only show while the shortcuts work. */
  private apply(): void {
    document.body.classList.toggle('hub-shortcuts-off', !this.settings.shortcuts);
  }
}
