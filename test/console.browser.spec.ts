import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { startTestApp, TestApp } from './support/app';
import { CallbackStandIn, ReceivedRequest, startCallbackStandIn, StandInAnswer } from './support/callback-stand-in';
import { RealtimeService } from '../src/realtime/realtime.service';
import { eventually } from './support/eventually';
import { givenAgent, givenApiInbox, postApiMessage } from './support/given';

/**
 * The agent console in a real browser: Debian's chromium driven by playwright-core, against the whole hub on
 * loopback with the API channel's receiving system stood in on 127.0.0.1. One agent's day in order: sign in, a
 * case arrives live, claim, reply by keyboard only, delivery reported, a failed reply retried, the case closed,
 * the resident's next case with the whole history; accessibility checked with axe-core, and at 320 px wide.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const ROOT = resolve(__dirname, '..');
const OUTPUT = join(ROOT, 'test-output');
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const COUNCIL = 'Anytown Borough Council'; // config/theme.yaml
const PASSWORD = 'correct-horse-battery-staple';
/** What the HTML of a hostile message would do if it were ever parsed. */
const HOSTILE = 'My bin was not collected <b>again</b> <img src=x onerror="window.__pwned=1"> & I am cross';

/** The receiving system accepts a reply and answers with its own id for it. */
const accept = (req: ReceivedRequest, n: number): StandInAnswer => ({ status: 200, body: { id: `prov-${String(req.json.messageId)}-${n}` } });

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[] }>;
}

describe('Agent console in the browser (/console)', () => {
  let t: TestApp;
  let hook: CallbackStandIn;
  let inbox: { token: string };
  let agentId: string;
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const pageProblems: string[] = [];
  const screenshots: string[] = [];
  /** The first case of the journey. */
  let first: { caseId: string; reference: string };

  beforeAll(async () => {
    t = await startTestApp({ env: { DELIVERY_BACKOFF_MS: '20', DELIVERY_MAX_ATTEMPTS: '2', DELIVERY_TIMEOUT_MS: '2000' } });
    hook = await startCallbackStandIn(accept);
    inbox = await givenApiInbox(t, { callbackUrl: hook.url, name: 'Resident portal' });
    agentId = (await givenAgent(t, { name: 'Ada Lovelace', email: 'ada@anytown.test', password: PASSWORD })).agent.id;
    mkdirSync(OUTPUT, { recursive: true });
    userDataDir = mkdtempSync(join(tmpdir(), 'hub-chromium-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      viewport: { width: 1400, height: 1000 },
      locale: 'en-GB',
      timezoneId: 'Europe/London',
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (e) => pageProblems.push(`page error: ${e.message}`));
    page.on('console', (m) => {
      // Asking "who am I?" before signing in is answered 401, which the browser logs; that one is expected.
      if (m.text().includes('401') && m.location().url.endsWith('/api/v1/auth/me')) return;
      // While the test holds the browser offline, its failed reconnection attempts are the point.
      if (m.text().includes('ERR_INTERNET_DISCONNECTED')) return;
      if (m.type() === 'error' || /Content.Security.Policy|Trusted.?Type/i.test(m.text())) pageProblems.push(`console ${m.type()}: ${m.text()} (${m.location().url})`);
    });
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    await hook?.close();
    await t?.close();
    if (screenshots.length) console.log(`Console screenshots:\n${screenshots.map((s) => `  ${s}`).join('\n')}`);
  });

  const js = <T>(expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;

  async function screenshot(name: string, fullPage = true): Promise<void> {
    const path = join(OUTPUT, `console-${name}.png`);
    await page.screenshot({ path, fullPage });
    screenshots.push(path);
  }

  /** axe-core's serious and critical findings on the page as it is now (WCAG 2.0–2.2 A and AA). */
  async function seriousViolations(): Promise<AxeViolation[]> {
    // Evaluated through the DevTools protocol, which the page's CSP does not govern (a <script> tag would be refused).
    await js(AXE_SOURCE);
    const result = await js<{ violations: AxeViolation[] }>(
      `axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] } })`,
    );
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  }

  const describeViolations = (vs: AxeViolation[]) => vs.map((v) => `${v.impact} ${v.id}: ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);

  async function postCase(address: string, name: string, text: string): Promise<{ caseId: string; reference: string }> {
    const posted = await postApiMessage(t, inbox.token, { externalId: `in-${Date.now()}-${Math.random()}`, from: { address, name }, text });
    expect(posted.status).toBe(201);
    return { caseId: String(posted.body.caseId), reference: String(posted.body.reference) };
  }

  /**
   * The element with focus and whether GOV.UK's focus indicator shows on it: the focus colour (#fd0) as an outline,
   * a box shadow or the background. Buttons always carry a shadow, so the colour is what is checked.
   */
  const FOCUS_PROBE = `(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return { id: null, visible: false, what: 'body' };
    const s = getComputedStyle(el);
    const yellow = 'rgb(255, 221, 0)';
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2 && s.outlineColor === yellow;
    const visible = outline || s.boxShadow.includes(yellow) || s.backgroundColor === yellow;
    return { id: el.id || null, visible, what: el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') };
  })()`;

  it('serves the page with a strict Content-Security-Policy, the browser bundle and GOV.UK assets', async () => {
    const res = await fetch(`${t.url}/console`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).toMatch(/connect-src 'self'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    const html = await res.text();
    expect(html).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*\ssrc=)[^>]*>|\sstyle=|\son[a-z]+=/i);
    expect(html).toContain('govuk-generic-header');
    expect(html).not.toContain('govuk-header__');

    const script = await fetch(`${t.url}/assets/console.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    const css = await fetch(`${t.url}/assets/console.css`);
    expect(css.status).toBe(200);
    expect(await css.text()).not.toContain('GDS Transport');
    expect((await fetch(`${t.url}/assets/theme.css`)).status).toBe(200);
    expect((await fetch(`${t.url}/assets/govuk/manifest.json`)).status).toBe(200);
    expect((await fetch(`${t.url}/assets/govuk/..%2F..%2F..%2Fpackage.json`)).status).toBe(404);
    expect((await fetch(`${t.url}/assets/package.json`)).status).toBe(404);
  });

  it('shows the GOV.UK sign-in page with the council’s Generic header and no serious accessibility problem', async () => {
    await page.goto(`${t.url}/console`);
    await page.locator('#sign-in-form').waitFor();
    expect(await js('document.body.classList.contains("govuk-frontend-supported")')).toBe(true);
    expect((await page.locator('.govuk-generic-header').innerText()).trim()).toBe(COUNCIL);
    expect(await page.locator('.govuk-skip-link').getAttribute('href')).toBe('#main-content');
    expect(describeViolations(await seriousViolations())).toEqual([]);
    await screenshot('signed-out');
  });

  it('signs in, after a GOV.UK error summary for missing answers', async () => {
    await page.locator('#sign-in').click();
    const summary = page.locator('.govuk-error-summary');
    await summary.waitFor();
    expect(await summary.innerText()).toContain('Enter your email address');
    expect(await summary.innerText()).toContain('Enter your password');
    expect(await js('document.activeElement.classList.contains("govuk-error-summary")')).toBe(true);
    expect(await page.title()).toMatch(/^Error: /);

    await page.locator('#email').fill('ada@anytown.test');
    await page.locator('#password').fill(PASSWORD);
    await page.locator('#password').press('Enter');
    await page.locator('#queue-table').waitFor();
    await page.locator('#connection-status', { hasText: 'Connected' }).waitFor();
    expect(await page.locator('#agent-bar').innerText()).toContain('Ada Lovelace');
  });

  it('shows a case posted through the API channel in the queue as it arrives, and announces it', async () => {
    first = await postCase('resident-grace', 'Grace Hopper', HOSTILE);
    const link = page.locator(`#open-${first.caseId}`);
    await link.waitFor();
    expect(await link.innerText()).toContain(first.reference);
    await page.locator('#queue-status', { hasText: `New case ${first.reference}` }).waitFor();
    const row = page.locator(`tr[data-case-id="${first.caseId}"]`);
    expect(await row.innerText()).toContain('Unassigned');
    // The waiting time ticks without a reload.
    const waited = await row.locator('[data-since]').innerText();
    expect(waited).toMatch(/^\d+ s$/);
    await eventually(async () => expect(await row.locator('[data-since]').innerText()).not.toBe(waited), 3000);
  });

  it('opens the case, shows the resident’s message as text (never HTML) and lets the agent claim it', async () => {
    await page.locator(`#open-${first.caseId}`).click();
    await page.locator('#case-heading', { hasText: first.reference }).waitFor();
    const log = page.locator('[role="log"]');
    expect(await log.getAttribute('aria-live')).toBe('polite');
    expect(await log.innerText()).toContain(HOSTILE);
    expect(await log.locator('b, img').count()).toBe(0);
    expect(await js('window.__pwned === undefined')).toBe(true);
    // Before claiming, the reply box says why a reply cannot go out.
    expect(await page.locator('#reply-warning').innerText()).toContain('Claim this case');

    await page.locator('#case-claim').click();
    await page.locator('.hub-facts', { hasText: 'You' }).waitFor();
    expect(await page.locator('#reply-warning').innerText()).toBe('');
    expect(await page.locator(`tr[data-case-id="${first.caseId}"]`).innerText()).toContain('You');
  });

  it('keyboard only: Tab reaches the reply box with focus visible at every stop; typing and Enter sends the reply, which reaches the receiving system and shows as sent, then delivered', async () => {
    // A keyboard user arriving at the case: the page puts focus on the case heading, and the session cookie
    // (not the in-memory token, gone with the reload) signs the socket in.
    expect(page.url()).toBe(`${t.url}/console#/cases/${first.caseId}`);
    await page.reload();
    await eventually(async () => expect(await js('document.activeElement && document.activeElement.id')).toBe('case-heading'));

    const stops: string[] = [];
    for (let i = 0; i < 40; i++) {
      await page.keyboard.press('Tab');
      const focus = await js<{ id: string | null; visible: boolean; what: string }>(FOCUS_PROBE);
      stops.push(focus.what);
      expect({ stop: focus.what, visible: focus.visible }).toEqual({ stop: focus.what, visible: true });
      if (focus.id === 'reply-text') break;
    }
    expect(stops[stops.length - 1]).toBe('textarea#reply-text');

    const text = 'Sorry about that, Grace. A crew will collect your bin tomorrow morning.';
    await page.keyboard.type(text);
    await page.keyboard.press('Tab');
    expect((await js<{ id: string }>(FOCUS_PROBE)).id).toBe('reply-send');
    await page.keyboard.press('Enter');

    const delivered = await eventually(() => {
      expect(hook.requests).toHaveLength(1);
      return hook.requests[0];
    });
    expect(delivered.json.text).toBe(text);
    expect(delivered.json.reference).toBe(first.reference);
    const messageId = String(delivered.json.messageId);
    const status = page.locator(`#delivery-${messageId}`);
    await status.filter({ hasText: 'Sent' }).waitFor();
    expect(await js('document.activeElement.id')).toBe('reply-text');
    expect(await page.locator('#reply-text').inputValue()).toBe('');

    const report = await fetch(`${t.url}/channels/api/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${inbox.token}` },
      body: JSON.stringify({ providerMessageId: `prov-${messageId}-1`, status: 'delivered' }),
    });
    expect(report.status).toBe(200);
    expect(await report.json()).toEqual({ applied: true });
    await status.filter({ hasText: 'Delivered' }).waitFor();
  });

  it('shows a failed reply as Failed with the reason, and its Retry button sends it again for real', async () => {
    hook.respond(() => ({ status: 400, body: { error: 'unknown recipient' } }));
    await page.locator('#reply-text').fill('Could you confirm your address, please?');
    await page.locator('#reply-send').click();
    const failed = page.locator('.hub-msg__delivery[data-status="failed"]');
    await failed.waitFor();
    expect(await failed.innerText()).toMatch(/Failed[\s\S]*400/);
    const before = hook.requests.length;

    hook.respond(accept);
    await failed.getByRole('button', { name: /Retry/ }).click();
    await eventually(() => expect(hook.requests.length).toBe(before + 1));
    expect(hook.requests[before].json.text).toBe('Could you confirm your address, please?');
    const id = String(hook.requests[before].json.messageId);
    await page.locator(`#delivery-${id}`).filter({ hasText: 'Sent' }).waitFor();
  });

  it('adds an internal note, inserts a canned reply filled in for the case, changes the priority and the agent’s presence', async () => {
    await page.locator('#note-text').fill('Resident sounded upset: please check the crew log tomorrow.');
    await page.locator('#note-add').click();
    const note = page.locator('.hub-msg--note', { hasText: 'Resident sounded upset' });
    await note.waitFor();
    expect(await note.innerText()).toContain('Internal note by you');

    await page.locator('#canned-select').selectOption({ label: 'Greeting' });
    await page.locator('#canned-insert').click();
    await eventually(async () => expect(await page.locator('#reply-text').inputValue()).toContain('Hello Grace Hopper'));
    expect(await page.locator('#reply-text').inputValue()).toContain(first.reference);
    expect(await js('document.activeElement.id')).toBe('reply-text');
    await page.locator('#reply-text').fill('');

    await page.locator('#case-priority').selectOption('high');
    await page.locator('#case-save').click();
    await page.locator('.hub-facts', { hasText: 'High' }).waitFor();
    await page.locator(`tr[data-case-id="${first.caseId}"]`, { hasText: 'High priority' }).waitFor();

    await page.locator('#presence').selectOption('available');
    await page.locator('#queue-status', { hasText: 'Your status is now available' }).waitFor();
    expect(await page.locator('#presence').inputValue()).toBe('available');
  });

  it('has no serious or critical accessibility violation signed in with a case open', async () => {
    await page.locator('#canned-area, #reply-form').first().waitFor();
    expect(describeViolations(await seriousViolations())).toEqual([]);
    await screenshot('case-open');
  });

  it('closes the case; the reply box then warns that it cannot take a reply', async () => {
    await page.locator('#case-status').selectOption('closed');
    await page.locator('#case-save').click();
    await page.locator('.hub-facts', { hasText: 'Closed' }).waitFor();
    expect(await page.locator('#reply-warning').innerText()).toContain('This case is closed');
    await page.locator('#reply-text').fill('One more thing');
    await page.locator('#reply-send').click();
    expect(await page.locator('#reply-text-error').innerText()).toContain('This case is closed');
    const requests = hook.requests.length;
    await page.waitForTimeout(300);
    expect(hook.requests.length).toBe(requests);
  });

  it('shows the resident’s next case with the earlier case’s messages in one transcript', async () => {
    const second = await postCase('resident-grace', 'Grace Hopper', 'Thank you, the bin has gone now.');
    expect(second.caseId).not.toBe(first.caseId);
    await page.locator(`#open-${second.caseId}`).click();
    await page.locator('#case-heading', { hasText: second.reference }).waitFor();
    const log = page.locator('[role="log"]');
    await log.locator('.hub-transcript__divider', { hasText: `Earlier case ${first.reference}` }).waitFor();
    const transcript = await log.innerText();
    expect(transcript).toContain(HOSTILE);
    expect(transcript).toContain('A crew will collect your bin tomorrow morning.');
    expect(transcript.indexOf(HOSTILE)).toBeLessThan(transcript.indexOf('Thank you, the bin has gone now.'));
  });

  it('claims the next case with the N shortcut, and lets the agent turn single-key shortcuts off for good', async () => {
    const third = await postCase('resident-alan', 'Alan Turing', 'Can I renew my library card online?');
    await page.locator(`#open-${third.caseId}`).waitFor();
    const unassigned = () => page.locator('#queue-table tbody tr', { hasText: 'Unassigned' }).count();
    const waiting = await unassigned();
    expect(waiting).toBeGreaterThanOrEqual(2); // the resident's second case and this one

    await page.locator('#queue-heading').focus();
    await page.keyboard.press('n');
    await eventually(async () => expect(await unassigned()).toBe(waiting - 1), 5000);
    await page.locator('.hub-facts', { hasText: 'You' }).waitFor();

    await page.locator('#settings-summary').click();
    await page.locator('#setting-shortcuts').uncheck();
    await page.reload();
    await page.locator('#queue-table').waitFor();
    await page.locator('#settings-summary').click();
    expect(await page.locator('#setting-shortcuts').isChecked()).toBe(false);
    expect(await page.locator('#claim-next .hub-shortcut-hint').isVisible()).toBe(false);

    await page.locator('#queue-heading').focus();
    await page.keyboard.press('n');
    await page.waitForTimeout(500);
    expect(await unassigned()).toBe(waiting - 1);
  });

  it('after a dropped connection, reconnects and re-syncs from its cursor what happened meanwhile', async () => {
    // The browser goes offline and the hub drops the socket: nothing can be pushed to this console now.
    await context.setOffline(true);
    for (const socket of await t.get(RealtimeService).socketsIn('/console', `agent:${agentId}`)) socket.disconnect(true);
    await page.locator('#connection-status', { hasText: 'Reconnecting' }).waitFor();
    const missed = await postCase('resident-emmy', 'Emmy Noether', 'Is the recycling centre open on bank holidays?');
    await page.waitForTimeout(500);
    expect(await page.locator(`#open-${missed.caseId}`).count()).toBe(0);

    await context.setOffline(false);
    await page.locator(`#open-${missed.caseId}`).waitFor({ timeout: 20_000 });
    await page.locator('#connection-status', { hasText: 'Connected' }).waitFor();
    await page.locator('#queue-status', { hasText: `New case ${missed.reference} arrived while the console was reconnecting` }).waitFor();
  });

  it('fits a 320 px wide screen without horizontal scrolling', async () => {
    await page.setViewportSize({ width: 320, height: 800 });
    await page.goto(`${t.url}/console#/cases/${first.caseId}`);
    await page.reload();
    await page.locator('#case-heading', { hasText: first.reference }).waitFor();
    const widths = await js<{ scroll: number; client: number; wider: string[] }>(`(() => {
      const client = document.documentElement.clientWidth;
      const wider = [...document.querySelectorAll('body *')]
        .filter((el) => el.getBoundingClientRect().right > client + 0.5)
        .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + [...el.classList].join('.') + ' ' + Math.round(el.getBoundingClientRect().right));
      return { scroll: document.documentElement.scrollWidth, client, wider: wider.slice(0, 10) };
    })()`);
    expect({ scrollWidth: widths.scroll, wider: widths.wider }).toEqual({ scrollWidth: widths.client, wider: [] });
    await screenshot('320px');
    await page.locator('#case-heading').scrollIntoViewIfNeeded();
    await screenshot('320px-case', false);
    await page.setViewportSize({ width: 1400, height: 1000 });
  });

  it('raised no script error and no Content-Security-Policy violation along the way', () => {
    expect(pageProblems).toEqual([]);
  });
});
