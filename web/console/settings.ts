/** The agent's own choices, kept in this browser (localStorage), never on the server. */

export interface Settings {
  /** Single-key shortcuts (WCAG 2.1.4: they can be turned off). */
  shortcuts: boolean;
  /** Desktop notifications for new cases while the console is in the background (needs the browser's permission). */
  desktopNotifications: boolean;
}

const KEY = 'contact-hub.console.settings';
const DEFAULTS: Settings = { shortcuts: true, desktopNotifications: false };

export function loadSettings(): Settings {
  try {
    const raw = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<Settings>;
    return {
      shortcuts: typeof raw.shortcuts === 'boolean' ? raw.shortcuts : DEFAULTS.shortcuts,
      desktopNotifications: typeof raw.desktopNotifications === 'boolean' ? raw.desktopNotifications : DEFAULTS.desktopNotifications,
    };
  } catch {
    return { ...DEFAULTS };
  }
}

export function saveSettings(settings: Settings): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(settings));
  } catch {
    /* private browsing or storage full: the choice lasts until the page closes */
  }
}
