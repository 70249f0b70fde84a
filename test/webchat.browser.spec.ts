import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { InboxesService } from '../src/inboxes/inboxes.service';
import { RealtimeService } from '../src/realtime/realtime.service';
import { startTestApp, TestApp } from './support/app';
import { ExpectedNoise, launchChromium, OFFLINE, PAGE_STEP_TIMEOUT_MS, PASSWORD, Screenshots, seriousViolations, signIn, SOCKET_CLOSING, watchPage } from './support/browser';
import { eventually } from './support/eventually';
import { givenAgent } from './support/given';

/**
 * The web chat widget in a real browser: a resident on the sample council page (/demo) and an agent in the real
 * agent console (/console), both in Debian's chromium, against the whole hub on loopback. The conversation both
 * ways, a reload, accessibility with axe-core in English and Welsh, a keyboard-only run, 320 px and 400 % zoom, and
 * bad input, with screenshots of both sides in test-output/.
 */

const ROOT = resolve(__dirname, '..');
const COUNCIL = 'Anytown Borough Council'; // config/theme.yaml
/** What the HTML of a hostile message would do if it were ever parsed. */
const HOSTILE = 'My bin was missed <b>again</b> <img src=x onerror="window.__pwned=1"> & nobody came';
const PNG_1PX = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');
/** Chat open whatever the hour the tests run at: every day, all day. */
/** Every department open round the clock, bank holidays too (config/opening-hours.yaml with no holidays listed). */
const ALWAYS_OPEN = `hours: { ${['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => `${d}: "00:00-24:00"`).join(', ')} }\nbankHolidays: { file: no-bank-holidays.json }\n`;
const WIDGET = 'contact-hub-chat';

/** The upload of a file that lies about its type, refused on purpose (the browser logs the 415). */
const LYING_FILE_REFUSED: ExpectedNoise = { text: '415', urlEndsWith: '/webchat/v1/attachments' };

describe('Web chat widget in the browser (/demo, /widget.js) with the agent console', () => {
  let t: TestApp;
  let configDir: string;
  let browser: Browser;
  let residentContext: BrowserContext;
  let agentContext: BrowserContext;
  let resident: Page;
  let agent: Page;
  let inboxToken: string;
  let reference: string;
  const problems: string[] = [];
  const screenshots = new Screenshots('webchat');

  beforeAll(async () => {
    configDir = mkdtempSync(join(tmpdir(), 'hub-webchat-config-'));
    cpSync(join(ROOT, 'config'), configDir, { recursive: true });
    writeFileSync(join(configDir, 'opening-hours.yaml'), ALWAYS_OPEN);
    writeFileSync(join(configDir, 'no-bank-holidays.json'), JSON.stringify({ 'england-and-wales': { events: [] } }));
    t = await startTestApp({ env: { CONFIG_DIR: configDir } });
    inboxToken = (await t.get(InboxesService).create({ channel: 'webchat', name: 'Website chat', department: 'customer-services' })).token;
    await givenAgent(t, { name: 'Ada Lovelace', email: 'ada@anytown.test', password: PASSWORD, departments: ['customer-services', 'waste'] });
    browser = await launchChromium();
    const options = { viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'Europe/London' };
    residentContext = await browser.newContext(options);
    agentContext = await browser.newContext(options);
    resident = await residentContext.newPage();
    agent = await agentContext.newPage();
    for (const [who, page] of [['resident', resident], ['agent', agent]] as const) {
      page.setDefaultTimeout(PAGE_STEP_TIMEOUT_MS);
      watch(page, who);
    }
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    if (configDir) rmSync(configDir, { recursive: true, force: true });
    screenshots.report('Web chat screenshots');
  });

  const watch = (page: Page, who: string) => watchPage(page, problems, { who, expected: [LYING_FILE_REFUSED, OFFLINE, SOCKET_CLOSING] });

  const demoUrl = (query: Record<string, string> = {}) => `${t.url}/demo?${new URLSearchParams({ inbox: inboxToken, ...query }).toString()}`;
  const w = (page: Page, selector: string, options?: { hasText: string | RegExp }) => page.locator(`${WIDGET} ${selector}`, options);
  const js = <T>(page: Page, expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;
  /** The focused element inside the widget's shadow root ('' when focus is outside the widget). */
  const widgetFocus = (page: Page) =>
    js<string>(page, `(() => { const el = document.querySelector('${WIDGET}')?.shadowRoot?.activeElement; return el ? (el.id || el.className) : ''; })()`);

  const screenshot = (page: Page, name: string, fullPage = false) => screenshots.take(page, name, fullPage);

  /** Visible buttons, links and fields of the widget smaller than WCAG 2.5.8's 24 by 24 px. */
  const SMALL_TARGETS = `(() => [...document.querySelector('${WIDGET}').shadowRoot.querySelectorAll('button, a, input, select, textarea')]
      .filter((el) => el.getClientRects().length && !(el.tagName === 'A' && el.closest('p, li')?.textContent.trim() !== el.textContent.trim()))
      .map((el) => [el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' + (el.textContent || '').trim().slice(0, 20), el.getBoundingClientRect()])
      .filter(([, r]) => r.width < 24 || r.height < 24)
      .map(([what, r]) => what + ' ' + Math.round(r.width) + 'x' + Math.round(r.height)))()`;

  it('serves /widget.js for any site, under 40 KB gzipped, and a /demo page with a strict CSP and no inline code', async () => {
    const script = await fetch(`${t.url}/widget.js`);
    expect(script.status).toBe(200);
    expect(script.headers.get('content-type')).toMatch(/javascript/);
    expect(script.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    const body = Buffer.from(await script.arrayBuffer());
    const gzipped = gzipSync(body, { level: 9 }).length;
    console.log(`widget.js: ${body.length} bytes minified, ${gzipped} bytes gzipped (level 9)`);
    expect(gzipped).toBeLessThan(40 * 1024);
    expect(body.toString('utf8')).not.toMatch(/\.innerHTML\s*=|insertAdjacentHTML|document\.write\(/);

    const demo = await fetch(demoUrl());
    expect(demo.status).toBe(200);
    const csp = demo.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    const html = await demo.text();
    expect(html).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*\ssrc=)[^>]*>|\sstyle=|\son[a-z]+=/i);
    expect(html).toContain(`<script src="/widget.js" defer data-inbox="${inboxToken}"`);
    expect(html).not.toContain('govuk-header__'); // the council's own Generic header, not GOV.UK's
    // A token that is not one is left out of the page rather than echoed.
    expect(await (await fetch(`${t.url}/demo?inbox=%22%3E%3Cscript%3E`)).text()).not.toContain('data-inbox');
  });

  it('the agent signs in to the console and makes themselves available', async () => {
    await agent.goto(`${t.url}/console`);
    await signIn(agent, 'ada@anytown.test');
    await agent.locator('#queue-table').waitFor();
    await agent.locator('#connection-status', { hasText: 'Connected' }).waitFor();
    await agent.locator('#presence').selectOption('available');
    await agent.locator('#queue-status', { hasText: 'Your status is now available' }).waitFor();
  });

  it('shows a named launcher that opens the panel with focus inside, and a pre-chat form with no serious accessibility problem', async () => {
    await resident.goto(demoUrl());
    const launcher = w(resident, 'button.launcher');
    await launcher.waitFor();
    expect(await launcher.getAttribute('aria-label')).toBe('Chat with us');
    expect(await launcher.getAttribute('aria-expanded')).toBe('false');
    await launcher.click();
    await w(resident, '#name').waitFor();
    expect(await launcher.getAttribute('aria-expanded')).toBe('true');
    expect(await widgetFocus(resident)).toBe('name');
    const panel = w(resident, '[role="dialog"]');
    expect(await panel.getAttribute('lang')).toBe('en-GB');
    expect(await panel.getAttribute('aria-modal')).toBe('false'); // a corner panel: the page stays usable
    expect(await w(resident, '#panel-title').innerText()).toBe(`Chat with ${COUNCIL}`);
    expect(await w(resident, '#name').getAttribute('autocomplete')).toBe('name');
    expect(await w(resident, '#email').getAttribute('autocomplete')).toBe('email');
    // The services come from the catalogue, through the session.
    expect(await w(resident, '#service option').count()).toBeGreaterThan(2);
    expect(await seriousViolations(resident)).toEqual([]);
    expect(await js(resident, SMALL_TARGETS)).toEqual([]);
    await screenshot(resident, 'prechat');
  });

  it('refuses a pre-chat form without a name, with an error summary that has focus', async () => {
    await w(resident, '#email').fill('not-an-email');
    await w(resident, 'form button[type="submit"]').click();
    const summary = w(resident, '.summary');
    await summary.waitFor();
    expect(await summary.innerText()).toContain('Enter your name');
    expect(await summary.innerText()).toContain('Enter an email address in the correct format');
    expect(await widgetFocus(resident)).toBe('summary');
    expect(await w(resident, '#name').getAttribute('aria-invalid')).toBe('true');
  });

  it('the resident sends a first message through the pre-chat form; it shows as text, never HTML', async () => {
    await w(resident, '#name').fill('Grace Hopper');
    await w(resident, '#email').fill('grace@example.com');
    const service = 'Bin collections and missed bins'; // config/catalogue.yaml, in Waste and Recycling
    await w(resident, '#service').selectOption({ label: service });
    await w(resident, '#prechat-message').fill(HOSTILE);
    await w(resident, 'form button[type="submit"]').click();

    const mine = w(resident, '.msg-resident').last();
    await mine.waitFor();
    expect(await mine.locator('.bubble').innerText()).toBe(HOSTILE);
    expect(await w(resident, '.log b, .log img').count()).toBe(0);
    expect(await js(resident, 'window.__pwned === undefined')).toBe(true);
    await mine.locator('.state', { hasText: /Sent|Read/ }).waitFor();
    expect(await widgetFocus(resident)).toBe('message');
    const subtitle = w(resident, '.subtitle');
    await subtitle.filter({ hasText: /Your reference is / }).waitFor();
    reference = (await subtitle.innerText()).replace('Your reference is ', '').trim();
    expect(reference).toMatch(/^[A-Z]+-\d{4}-\d+$/);
    // Waiting for an adviser: the status line says so (with the queue position once the hub knows it).
    await w(resident, '.status').filter({ hasText: /Waiting for an adviser|number \d+ in the queue/ }).waitFor();
    const log = w(resident, '[role="log"]');
    expect(await log.getAttribute('aria-live')).toBe('polite');
    expect(await seriousViolations(resident)).toEqual([]);
    expect(await js(resident, SMALL_TARGETS)).toEqual([]);
    await screenshot(resident, 'waiting');

    // The agent sees the chat arrive live, with the pre-chat answers, and the resident's words as text.
    const row = agent.locator('#queue-table tbody tr', { hasText: reference });
    await row.waitFor();
    await row.locator('a').first().click();
    await agent.locator('#case-heading', { hasText: reference }).waitFor();
    const transcript = agent.locator('[role="log"]');
    await transcript.filter({ hasText: HOSTILE }).waitFor();
    expect(await transcript.locator('b, img').count()).toBe(0);
    const answers = await transcript.innerText();
    expect(answers).toContain('Grace Hopper');
    expect(answers).toContain('grace@example.com');
    expect(answers).toContain(service);
  });

  it('the agent claims and replies; the resident sees the agent’s name, typing and the reply live, and the read states go both ways', async () => {
    await agent.locator('#case-claim').click();
    await w(resident, '.status').filter({ hasText: 'You’re chatting with Ada Lovelace' }).waitFor();
    // Opening the case read the resident's message.
    await w(resident, '.msg-resident .state').filter({ hasText: 'Read' }).waitFor();

    await agent.locator('#reply-text').pressSequentially('Sorry about that', { delay: 5 });
    await w(resident, '.typing').filter({ hasText: 'Ada Lovelace is typing…' }).waitFor();
    const reply = 'Sorry about that, Grace. A crew will collect your bin tomorrow morning.';
    await agent.locator('#reply-text').fill(reply);
    await agent.locator('#reply-send').click();

    const theirs = w(resident, '.msg-agent').last();
    await theirs.filter({ hasText: reply }).waitFor();
    expect(await theirs.locator('.author').innerText()).toBe('Ada Lovelace');
    await eventually(async () => expect(await w(resident, '.typing').innerText()).toBe(''));
    // The panel is open and visible: the widget says `seen`, and the console shows the reply as read.
    const delivered = agent.locator('[role="log"] .hub-msg--outbound', { hasText: reply }).locator('.hub-msg__delivery');
    await delivered.filter({ hasText: 'Read' }).waitFor();
    expect(await delivered.getAttribute('data-status')).toBe('read');

    // The resident typing shows in the console, throttled by the widget.
    await w(resident, '#message').pressSequentially('Thank', { delay: 20 });
    await agent.getByText('Grace Hopper is typing.').waitFor();
    await w(resident, '#message').fill('');
    await screenshot(resident, 'chat');
    await screenshot(agent, 'console-case', true);
  });

  it('after a reload the panel and the whole conversation are back, and the pre-chat questions are not asked again', async () => {
    await resident.reload();
    const log = w(resident, '[role="log"]');
    await log.filter({ hasText: 'A crew will collect your bin tomorrow morning.' }).waitFor();
    expect(await log.innerText()).toContain(HOSTILE);
    expect(await w(resident, '#name').count()).toBe(0);
    expect(await w(resident, '.msg').count()).toBeGreaterThanOrEqual(2);
    // Restored open after the reload, but focus is not taken from the page.
    expect(await widgetFocus(resident)).toBe('');
  });

  it('bad input: an oversized message and a file that lies about its type get clear errors, and the chat carries on', async () => {
    const before = await w(resident, '.msg-resident').count();
    await w(resident, '#message').fill('x'.repeat(2001));
    await w(resident, '#message').press('Enter');
    await w(resident, '#message-error').filter({ hasText: 'Your message must be 2,000 characters or fewer (it has 2,001)' }).waitFor();
    expect(await w(resident, '#message').getAttribute('aria-invalid')).toBe('true');
    expect(await w(resident, '.msg-resident').count()).toBe(before);

    await w(resident, 'input[type="file"]').setInputFiles({ name: 'council-tax-bill.png', mimeType: 'image/png', buffer: Buffer.from('<html><script>alert(1)</script></html>') });
    await w(resident, '#message-error').filter({ hasText: /council-tax-bill\.png cannot be attached: / }).waitFor();
    await screenshot(resident, 'bad-file');

    // The socket is still up: a real picture and a message go through.
    await w(resident, 'input[type="file"]').setInputFiles({ name: 'bin.png', mimeType: 'image/png', buffer: PNG_1PX });
    await w(resident, '.pending-files', { hasText: 'bin.png attached' }).waitFor();
    await w(resident, '#message').fill('Here is a photo of the bin.');
    await w(resident, '#message').press('Enter');
    const mine = w(resident, '.msg-resident').last();
    await mine.filter({ hasText: 'Here is a photo of the bin.' }).waitFor();
    const link = mine.locator('.files a');
    expect(await link.innerText()).toMatch(/^bin\.png \(1 KB\)$/);
    const file = await fetch(String(await link.getAttribute('href')));
    expect(file.status).toBe(200);
    expect(file.headers.get('content-type')).toMatch(/^image\/png/);
    await agent.locator('[role="log"]', { hasText: 'Here is a photo of the bin.' }).waitFor();
    expect(problems.filter((p) => p.startsWith('resident'))).toEqual([]);
  });

  it('after a dropped connection, re-syncs from its cursor and sends again what could not go, once', async () => {
    const [{ id: caseId }] = (await t.db.query('SELECT id FROM "case" WHERE reference = $1', [reference])) as Array<{ id: string }>;
    await residentContext.setOffline(true);
    for (const socket of await t.get(RealtimeService).socketsIn('/webchat', `case:${caseId}`)) socket.disconnect(true);
    await w(resident, '.status', { hasText: 'Connection lost. Trying to reconnect…' }).waitFor();

    // Meanwhile the agent answers, and the resident writes: it cannot go yet, and says so.
    await agent.locator('#reply-text').fill('Are you still there, Grace?');
    await agent.locator('#reply-send').click();
    await w(resident, '#message').fill('Sorry, my connection dropped.');
    await w(resident, '#message').press('Enter');
    const mine = w(resident, '.msg-resident', { hasText: 'Sorry, my connection dropped.' });
    await mine.locator('.state', { hasText: 'Not sent' }).waitFor();
    expect(await mine.locator('button', { hasText: 'Try sending again' }).isVisible()).toBe(true);
    expect(await w(resident, '.msg-agent', { hasText: 'Are you still there, Grace?' }).count()).toBe(0);

    await residentContext.setOffline(false);
    await w(resident, '.msg-agent', { hasText: 'Are you still there, Grace?' }).waitFor({ timeout: 20_000 });
    await mine.locator('.state-text', { hasText: /^(Sent|Read)$/ }).waitFor();
    await agent.locator('[role="log"]', { hasText: 'Sorry, my connection dropped.' }).waitFor();
    // Sent again under the same clientId: one message on each side, whatever the retries.
    await resident.waitForTimeout(300);
    expect(await w(resident, '.msg-resident', { hasText: 'Sorry, my connection dropped.' }).count()).toBe(1);
    expect(await w(resident, '.msg-agent', { hasText: 'Are you still there, Grace?' }).count()).toBe(1);
    expect((await agent.locator('[role="log"]').innerText()).split('Sorry, my connection dropped.').length - 1).toBe(1);
  });

  it('keyboard only: Tab reaches the launcher without it ever covering the focused element; Enter opens, Enter sends, Esc closes and focus returns to the launcher', async () => {
    await resident.keyboard.press('Escape');
    expect(await widgetFocus(resident)).toBe('launcher');
    await resident.setViewportSize({ width: 900, height: 500 });
    await resident.goto(demoUrl());
    await w(resident, 'button.launcher').waitFor();
    const stops: string[] = [];
    for (let i = 0; i < 40 && (await widgetFocus(resident)) !== 'launcher'; i++) {
      await resident.keyboard.press('Tab');
      await resident.waitForTimeout(60); // the launcher steps aside on the next animation frame
      const probe = await js<{ what: string; covered: boolean }>(
        resident,
        `(() => {
          const el = document.activeElement;
          const launcher = document.querySelector('${WIDGET}').shadowRoot.querySelector('.launcher');
          if (!el || el.tagName === '${WIDGET.toUpperCase()}') return { what: 'widget', covered: false };
          const a = el.getBoundingClientRect(), b = launcher.getBoundingClientRect();
          const visible = getComputedStyle(launcher).visibility !== 'hidden' && b.width > 0;
          return { what: el.tagName.toLowerCase() + ' ' + (el.textContent || '').trim().slice(0, 30), covered: visible && a.left < b.right && a.right > b.left && a.top < b.bottom && a.bottom > b.top };
        })()`,
      );
      stops.push(probe.what);
      expect({ stop: probe.what, covered: probe.covered }).toEqual({ stop: probe.what, covered: false });
    }
    expect(await widgetFocus(resident)).toBe('launcher');
    expect(stops.some((s) => s.startsWith('button Yes'))).toBe(true); // the page's bottom-right buttons were reached
    // GOV.UK-style focus: a yellow ring.
    expect(await js(resident, `getComputedStyle(document.querySelector('${WIDGET}').shadowRoot.querySelector('.launcher')).outlineColor`)).toBe('rgb(255, 221, 0)');

    await resident.keyboard.press('Enter');
    await eventually(async () => expect(await widgetFocus(resident)).toBe('message'));
    await resident.keyboard.type('Typed with the keyboard only.');
    await resident.keyboard.press('Enter');
    await w(resident, '.msg-resident .bubble', { hasText: 'Typed with the keyboard only.' }).waitFor();
    await agent.locator('[role="log"]', { hasText: 'Typed with the keyboard only.' }).waitFor();
    await resident.keyboard.press('Escape');
    expect(await w(resident, '[role="dialog"]').isHidden()).toBe(true);
    expect(await widgetFocus(resident)).toBe('launcher');
    expect(await w(resident, 'button.launcher').getAttribute('aria-expanded')).toBe('false');
  });

  it('at 320 px wide the panel fills the screen without horizontal scrolling; at 400 % zoom (320 × 256) the message box is still reachable', async () => {
    await resident.setViewportSize({ width: 320, height: 640 });
    await resident.goto(demoUrl());
    await w(resident, 'button.launcher').click();
    await w(resident, '#message').waitFor();
    // Once its short opening slide has finished, the panel covers the screen exactly.
    await eventually(async () => {
      const fit = await js<{ scroll: number; client: number; panel: number[] }>(
        resident,
        `(() => { const r = document.querySelector('${WIDGET}').shadowRoot.querySelector('.panel').getBoundingClientRect();
          return { scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth, panel: [r.left, r.top, r.width, r.height] }; })()`,
      );
      expect(fit.scroll).toBe(fit.client);
      expect(fit.panel).toEqual([0, 0, 320, 640]);
    });
    expect(await w(resident, '[role="dialog"]').getAttribute('aria-modal')).toBe('true');
    expect(await js(resident, SMALL_TARGETS)).toEqual([]);
    await screenshot(resident, '320px');

    await resident.setViewportSize({ width: 320, height: 256 });
    await w(resident, '#message').focus();
    // Zoomed in while typing: the message box the resident is in stays in sight.
    await eventually(async () => {
      const box = await js<number[]>(resident, `(() => { const r = document.querySelector('${WIDGET}').shadowRoot.querySelector('#message').getBoundingClientRect(); return [r.top, r.bottom, r.right]; })()`);
      expect(box[0]).toBeGreaterThanOrEqual(0);
      expect(box[1]).toBeLessThanOrEqual(256);
      expect(box[2]).toBeLessThanOrEqual(320);
    });
    await screenshot(resident, '400-percent-zoom');
    await resident.keyboard.press('Escape');
    expect(await widgetFocus(resident)).toBe('launcher');
    await resident.setViewportSize({ width: 1280, height: 900 });
  });

  it('ends the chat with a transcript by email, as the resident gave an email address', async () => {
    await resident.goto(demoUrl());
    await w(resident, 'button.launcher').waitFor({ state: 'attached' });
    if ((await w(resident, 'button.launcher').getAttribute('aria-expanded')) === 'false') await w(resident, 'button.launcher').click();
    await w(resident, '.end button').click();
    await w(resident, '#transcript').check();
    await w(resident, '.end-box button', { hasText: 'Yes, end the chat' }).click();
    await w(resident, '.body', { hasText: 'You have ended the chat.' }).waitFor();
    expect(await w(resident, '.body').innerText()).toContain('We’ll email a copy of the chat to grace@example.com.');
  });

  it('speaks Welsh from data-lang="cy", with lang set on the panel, a pale data-colour made readable, and no serious accessibility problem', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
    const page = await context.newPage();
    watch(page, 'welsh resident');
    // A council colour too pale for white text: the widget darkens it, and axe's contrast check below holds it to that.
    await page.goto(demoUrl({ lang: 'cy', colour: '#ffdd00' }));
    const launcher = page.locator(`${WIDGET} button.launcher`);
    expect(await launcher.getAttribute('aria-label')).toBe('Sgwrsio â ni');
    await launcher.click();
    await page.locator(`${WIDGET} #name`).waitFor();
    expect(await page.locator(`${WIDGET} [role="dialog"]`).getAttribute('lang')).toBe('cy-GB');
    expect(await page.locator(`${WIDGET} label[for="name"]`).innerText()).toBe('Eich enw');
    expect(await seriousViolations(page)).toEqual([]);
    await page.locator(`${WIDGET} #name`).fill('Dylan Thomas');
    await page.locator(`${WIDGET} #prechat-message`).fill('Mae angen bin ailgylchu newydd arnaf.');
    await page.locator(`${WIDGET} form button[type="submit"]`).click();
    await page.locator(`${WIDGET} .msg-resident .bubble`, { hasText: 'Mae angen bin ailgylchu newydd arnaf.' }).waitFor();
    expect(await page.locator(`${WIDGET} label[for="message"]`).innerText()).toBe('Ysgrifennwch eich neges');
    expect(await page.locator(`${WIDGET} .composer button[type="submit"]`).innerText()).toBe('Anfon');
    expect(await seriousViolations(page)).toEqual([]);
    await screenshot(page, 'welsh');
    await context.close();
  });

  it('with nobody available, says so with the opening hours and still takes the message', async () => {
    await agent.locator('#presence').selectOption('away');
    await agent.locator('#queue-status', { hasText: 'Your status is now away' }).waitFor();
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB' });
    const page = await context.newPage();
    watch(page, 'out-of-hours resident');
    await page.goto(demoUrl());
    await page.locator(`${WIDGET} button.launcher`).click();
    const notice = page.locator(`${WIDGET} .notice`);
    await notice.waitFor();
    expect(await notice.innerText()).toMatch(/No one is available to chat right now\s+Our opening hours are: .+\.\s+Leave a message and we’ll reply here, and by email if you give us your email address\./);
    await page.locator(`${WIDGET} #name`).fill('Alan Turing');
    await page.locator(`${WIDGET} #email`).fill('alan@example.com');
    await page.locator(`${WIDGET} #prechat-message`).fill('Can I renew my library card online?');
    await page.locator(`${WIDGET} form button[type="submit"]`).click();
    await page.locator(`${WIDGET} .msg-resident .state`, { hasText: 'Sent' }).waitFor();
    expect(await page.locator(`${WIDGET} .notice`).innerText()).toContain('Leave a message and we’ll reply here and by email.');
    await agent.locator('#queue-table tbody tr', { hasText: 'Alan Turing' }).waitFor();
    await screenshot(page, 'nobody-available');
    await context.close();
  });

  it('in Welsh (from the browser) out of hours: why, when it opens again, the hours and a refused file all in Welsh, no English sentence from the hub', async () => {
    // A hub of its own whose departments open only on one weekday three days away: closed now, whenever this runs.
    const week = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
    const cyDays = { sun: 'Sul', mon: 'Llun', tue: 'Mawrth', wed: 'Mercher', thu: 'Iau', fri: 'Gwener', sat: 'Sadwrn' };
    const farDay = week[new Date(Date.now() + 3 * 86_400_000).getUTCDay()];
    const closedDir = mkdtempSync(join(tmpdir(), 'hub-webchat-closed-'));
    cpSync(join(ROOT, 'config'), closedDir, { recursive: true });
    writeFileSync(join(closedDir, 'opening-hours.yaml'), `timeZone: Europe/London\nhours: { ${farDay}: "09:00-17:00" }\nbankHolidays: { file: no-bank-holidays.json }\n`);
    writeFileSync(join(closedDir, 'no-bank-holidays.json'), JSON.stringify({ 'england-and-wales': { events: [] } })); // that day is never a holiday
    const closedHub = await startTestApp({ env: { CONFIG_DIR: closedDir } });
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'cy-GB', timezoneId: 'Europe/London' });
    try {
      const token = (await closedHub.get(InboxesService).create({ channel: 'webchat', name: 'Website chat', department: 'customer-services' })).token;
      const english = (await (await fetch(`${closedHub.url}/webchat/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inbox: token }) })).json()) as { openingHours: string; reason: string };
      expect(english.reason).toBe('closed');
      const page = await context.newPage();
      watch(page, 'welsh closed resident');
      await page.goto(`${closedHub.url}/demo?${new URLSearchParams({ inbox: token })}`); // no data-lang: the browser's cy-GB
      await page.locator(`${WIDGET} button.launcher`).click();
      const notice = page.locator(`${WIDGET} .notice`);
      await notice.waitFor();
      expect(await page.locator(`${WIDGET} [role="dialog"]`).getAttribute('lang')).toBe('cy-GB');
      const day = cyDays[farDay];
      expect((await notice.innerText()).split('\n').filter(Boolean)).toEqual([
        'Rydym ar gau ar hyn o bryd',
        `Byddwn ar agor eto ddydd ${day} am 9am.`,
        `Ein horiau agor yw: Dydd ${day} 9am i 5pm.`,
        'Gadewch neges a byddwn yn ateb yma, a thrwy e-bost os rhowch eich cyfeiriad e-bost i ni.',
      ]);
      expect(await seriousViolations(page)).toEqual([]);

      await page.locator(`${WIDGET} #name`).fill('Nia Ben Aur');
      await page.locator(`${WIDGET} #prechat-message`).fill('Mae twll mawr yn y ffordd.');
      await page.locator(`${WIDGET} form button[type="submit"]`).click();
      await page.locator(`${WIDGET} .msg-resident .state`, { hasText: 'Wedi’i hanfon' }).waitFor();
      await page.locator(`${WIDGET} input[type="file"]`).setInputFiles({ name: 'llun.png', mimeType: 'image/png', buffer: Buffer.from('<html></html>') });
      await page.locator(`${WIDGET} #message-error`).filter({ hasText: 'Does dim modd atodi llun.png: dim ond ffeiliau PNG, JPEG, GIF, WebP neu PDF y gallwch eu hanfon' }).waitFor();
      expect(await notice.innerText()).toContain('Gadewch neges a byddwn yn ateb yma pan fyddwn yn ôl.');
      const shown = await page.locator(`${WIDGET} .body`).innerText();
      for (const hubEnglish of [english.openingHours, 'We are closed', 'Opening hours', 'Leave a message', 'not allowed', 'file content']) expect(shown).not.toContain(hubEnglish);
      expect(shown).not.toMatch(/Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|bank holidays/);
      expect(await seriousViolations(page)).toEqual([]);
      await screenshot(page, 'welsh-closed');
    } finally {
      await context.close();
      await closedHub.close();
      rmSync(closedDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('raised no script error and no Content-Security-Policy violation on either side', () => {
    expect(problems).toEqual([]);
  });
});
