/**
 * WCAG 2.4.11 (focus not obscured): the launcher floats over the host page, so it must never sit on top of the
 * element that has keyboard focus. When focus lands on something under it, in order:
 *  1. scroll the page just enough to lift the element above the launcher (the widget's host element adds room
 *     at the end of the page, so even the last link can be lifted);
 *  2. if scrolling cannot help (a fixed footer, the page end), move the launcher to the other bottom corner;
 *  3. if it still covers the element, hide it until focus moves on (it comes back at its usual place, WCAG 3.2.6).
 * Scrolling by hand later only does steps 2 and 3: the page never scrolls away under the reader's hands.
 */
export class LauncherGuard {
  private frame = 0;

  constructor(
    private readonly host: HTMLElement,
    private readonly launcher: HTMLElement,
  ) {
    document.addEventListener('focusin', (e) => this.schedule(e.target, true), true);
    window.addEventListener('scroll', () => this.schedule(document.activeElement, false), { passive: true });
    window.addEventListener('resize', () => this.schedule(document.activeElement, false), { passive: true });
  }

  private schedule(target: EventTarget | null, mayScroll: boolean): void {
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.check(target, mayScroll));
  }

  private check(target: EventTarget | null, mayScroll: boolean): void {
    const el = target instanceof Element && target !== document.body && target !== document.documentElement ? target : null;
    // Inside the widget the panel manages focus itself; the launcher is then the focused element or hidden.
    if (!el || el === this.host || this.host.contains(el)) return this.reset();
    this.reset();
    if (!this.covers(el)) return;
    if (mayScroll) {
      const lift = el.getBoundingClientRect().bottom - this.launcher.getBoundingClientRect().top + 8;
      window.scrollBy({ top: lift, left: 0, behavior: 'instant' as ScrollBehavior });
      if (!this.covers(el)) return;
    }
    this.launcher.classList.add('aside');
    if (!this.covers(el)) return;
    this.launcher.classList.add('away');
  }

  private reset(): void {
    this.launcher.classList.remove('aside', 'away');
  }

  private covers(el: Element): boolean {
    const a = el.getBoundingClientRect();
    const b = this.launcher.getBoundingClientRect();
    if (!b.width || !b.height || !a.width || !a.height) return false;
    return a.left < b.right && a.right > b.left && a.top < b.bottom && a.bottom > b.top;
  }
}
