import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Browser, BrowserContext, BrowserContextOptions, chromium, Page } from 'playwright-core';

/**
 * Real Chromium for the browser specs (Debian's chromium driven by playwright-core): one launch, one accessibility
 * check with axe-core, one sign-in, one screenshot folder, so the console, supervisor, web chat and template specs
 * test their pages the same way.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

/** Screenshots go here (test-output/, ignored by git). */
export const OUTPUT = join(resolve(__dirname, '..', '..'), 'test-output');
/** The password the specs give their staff. */
export const PASSWORD = 'correct-horse-battery-staple';
/** A staff member's desk: a wide screen, British English, London time. */
export const DESK: BrowserContextOptions = { viewport: { width: 1400, height: 1000 }, locale: 'en-GB', timezoneId: 'Europe/London' };

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS });
}

export interface PersistentChromium {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Chromium with a profile of its own on disk (removed by `close`), and its first page. */
export async function launchPersistentChromium(options: BrowserContextOptions): Promise<PersistentChromium> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'hub-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_FLAGS, ...options });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * How long a page step (a click, a locator's wait) may take. The browser shares two cores with the hub, PostgreSQL
 * and jest: in one loaded CI run a click waited over 10 s for a busy page, so steps get 20 s. Never a timing
 * assertion: a step that never happens still fails.
 */
export const PAGE_STEP_TIMEOUT_MS = 20_000;

/** Console messages a spec provokes on purpose: the text they contain, and the URL they come from if it matters. */
export interface ExpectedNoise {
  text: string;
  urlEndsWith?: string;
}

/** A staff page asks "who am I?" before anyone signs in; the browser logs its 401. */
export const SIGNED_OUT_WHO_AM_I: ExpectedNoise = { text: '401', urlEndsWith: '/api/v1/auth/me' };
/** While a spec holds the browser offline, its failed reconnection attempts are the point. */
export const OFFLINE: ExpectedNoise = { text: 'ERR_INTERNET_DISCONNECTED' };
/**
 * Chrome's own line when a script writes to a WebSocket it is already closing: socket.io's client can do that in the
 * moment a page is reloaded or a transport is swapped, and carries on (socket.io-client#1341). Neither a script error
 * nor a failure the resident sees; a spec that expects reloads says so, and still checks the chat works after.
 */
export const SOCKET_CLOSING: ExpectedNoise = { text: 'WebSocket is already in CLOSING or CLOSED state', urlEndsWith: '/widget.js' };

/**
 * Records in `problems` every script error, console error and Content-Security-Policy or Trusted Types complaint of
 * the page, bar the expected noise; `who` names the page when a spec watches several.
 */
export function watchPage(page: Page, problems: string[], options: { who?: string; expected?: ExpectedNoise[] } = {}): void {
  const prefix = options.who ? `${options.who} ` : '';
  const expected = [SIGNED_OUT_WHO_AM_I, ...(options.expected ?? [])];
  page.on('pageerror', (e) => problems.push(`${prefix}page error: ${e.message}`));
  page.on('console', (m) => {
    if (expected.some((n) => m.text().includes(n.text) && (!n.urlEndsWith || m.location().url.endsWith(n.urlEndsWith)))) return;
    if (m.type() === 'error' || /Content.Security.Policy|Trusted.?Type/i.test(m.text())) problems.push(`${prefix}console ${m.type()}: ${m.text()} (${m.location().url})`);
  });
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown[] }>;
}

/** axe-core's serious and critical findings on the page as it is now (WCAG 2.0–2.2 A and AA, best practice), in words. */
export async function seriousViolations(page: Page): Promise<string[]> {
  // Evaluated through the DevTools protocol, which the page's CSP does not govern (a <script> tag would be refused).
  await page.evaluate(AXE_SOURCE);
  const result = (await page.evaluate(`axe.run(document, { runOnly: { type: 'tag', values: ${JSON.stringify(AXE_TAGS)} } })`)) as { violations: AxeViolation[] };
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.map((t) => (typeof t === 'string' ? t : JSON.stringify(t))).join(' ')).join(', ')}`);
}

/** Fills in the staff sign-in form (the console's and the supervisor dashboard's) and sends it with Enter. */
export async function signIn(page: Page, email: string, password = PASSWORD): Promise<void> {
  await page.locator('#sign-in-form').waitFor();
  await page.locator('#email').fill(email);
  await page.locator('#password').fill(password);
  await page.locator('#password').press('Enter');
}

/**
 * The elements (`within` a selector, all of the body by default) reaching past the right edge of the window, and the
 * page's scroll width against its client width: the check that a page fits 320 px (WCAG 1.4.10 reflow).
 * `except`: a container whose own horizontal scrolling is allowed (a wide table's).
 */
export function overflow(page: Page, options: { within?: string; except?: string } = {}): Promise<{ scrollWidth: number; clientWidth: number; wider: string[] }> {
  // A string, not a function: what the browser runs must not depend on how the spec was compiled.
  return page.evaluate(`(() => {
    const within = ${JSON.stringify(options.within ?? 'body *')}, except = ${JSON.stringify(options.except ?? null)};
    const client = document.documentElement.clientWidth;
    const wider = [...document.querySelectorAll(within)]
      .filter((el) => !(except && el.parentElement && el.parentElement.closest(except)) && el.getBoundingClientRect().right > client + 0.5)
      .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + [...el.classList].join('.') + ' ' + Math.round(el.getBoundingClientRect().right));
    return { scrollWidth: document.documentElement.scrollWidth, clientWidth: client, wider: wider.slice(0, 10) };
  })()`);
}

/** Screenshots into test-output/<prefix>-<name>.png, listed at the end of the run for whoever reads it. */
export class Screenshots {
  private readonly paths: string[] = [];

  constructor(private readonly prefix: string) {}

  async take(page: Page, name: string, fullPage: boolean): Promise<void> {
    mkdirSync(OUTPUT, { recursive: true });
    const path = join(OUTPUT, `${this.prefix}-${name}.png`);
    await page.screenshot({ path, fullPage });
    this.paths.push(path);
  }

  report(title: string): void {
    if (this.paths.length) console.log(`${title}:\n${this.paths.map((s) => `  ${s}`).join('\n')}`);
  }
}
