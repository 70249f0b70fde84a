/**
 * Status messages (WCAG 4.1.3): one visible role="status" region says what just happened, politely, without moving
 * focus. Bursts are gathered for a moment so a screen reader hears one sentence, not ten.
 */
export class Announcer {
  private pending: string[] = [];
  private timer: number | undefined;

  constructor(private readonly region: HTMLElement) {}

  say(text: string): void {
    this.pending.push(text);
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(() => this.flush(), 400);
  }

  private flush(): void {
    const lines = this.pending.splice(0);
    if (!lines.length) return;
    const text = lines.length > 3 ? `${lines.length} updates. Latest: ${lines[lines.length - 1]}` : lines.join(' ');
    // Emptied first, so the same sentence twice is still read out twice.
    this.region.textContent = '';
    window.setTimeout(() => (this.region.textContent = text), 50);
  }
}

/** The browser's own notifications, only where the agent allowed them, and only while the console is hidden. */
export function desktopNotify(title: string, body: string, onClick: () => void): void {
  if (!('Notification' in window) || Notification.permission !== 'granted' || !document.hidden) return;
  try {
    const n = new Notification(title, { body, tag: title });
    n.onclick = () => {
      window.focus();
      onClick();
      n.close();
    };
  } catch {
    /* some browsers only allow notifications from a service worker */
  }
}
