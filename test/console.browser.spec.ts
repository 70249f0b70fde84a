import { join } from 'node:path';
import { Browser, BrowserContext, Page } from 'playwright-core';
import { startTestApp, TestApp } from './support/app';
import { DESK, launchChromium, launchPersistentChromium, OFFLINE, OUTPUT, overflow, PAGE_STEP_TIMEOUT_MS, PASSWORD, PersistentChromium, Screenshots, seriousViolations, signIn, watchPage } from './support/browser';
import { CallbackStandIn, ReceivedRequest, startCallbackStandIn, StandInAnswer } from './support/callback-stand-in';
import { AgentRole } from '../src/common/enum';
import { RealtimeService } from '../src/realtime/realtime.service';
import { eventually } from './support/eventually';
import { givenAgent, givenApiInbox, postApiMessage } from './support/given';

/**
 * The agent console in a real browser: Debian's chromium driven by playwright-core, against the whole hub on
 * loopback with the API channel's receiving system stood in on 127.0.0.1. One agent's day in order: sign in, a
 * case arrives live, claim, reply by keyboard only, delivery reported, a failed reply retried, the case closed,
 * the resident's next case with the whole history; accessibility checked with axe-core, and at 320 px wide.
 */

const COUNCIL = 'Anytown Borough Council'; // config/theme.yaml
/** What the HTML of a hostile message would do if it were ever parsed. */
const HOSTILE = 'My bin was not collected <b>again</b> <img src=x onerror="window.__pwned=1"> & I am cross';

/** The receiving system accepts a reply and answers with its own id for it. */
const accept = (req: ReceivedRequest, n: number): StandInAnswer => ({ status: 200, body: { id: `prov-${String(req.json.messageId)}-${n}` } });

describe('Agent console in the browser (/console)', () => {
  let t: TestApp;
  let hook: CallbackStandIn;
  let inbox: { token: string };
  let agentId: string;
  let chromium: PersistentChromium;
  let context: BrowserContext;
  let page: Page;
  const pageProblems: string[] = [];
  const screenshots = new Screenshots('console');
  /** The first case of the journey. */
  let first: { caseId: string; reference: string };

  beforeAll(async () => {
    t = await startTestApp({ env: { DELIVERY_BACKOFF_MS: '20', DELIVERY_MAX_ATTEMPTS: '2', DELIVERY_TIMEOUT_MS: '2000' } });
    hook = await startCallbackStandIn(accept);
    inbox = await givenApiInbox(t, { callbackUrl: hook.url, name: 'Resident portal' });
    agentId = (await givenAgent(t, { name: 'Ada Lovelace', email: 'ada@anytown.test', password: PASSWORD })).agent.id;
    chromium = await launchPersistentChromium(DESK);
    ({ context, page } = chromium);
    page.setDefaultTimeout(PAGE_STEP_TIMEOUT_MS);
    watchPage(page, pageProblems, { expected: [OFFLINE] });
  }, 60_000);

  afterAll(async () => {
    await chromium?.close();
    await hook?.close();
    await t?.close();
    screenshots.report('Console screenshots');
  });

  const js = <T>(expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;
  const screenshot = (name: string, fullPage = true) => screenshots.take(page, name, fullPage);

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
    expect(await seriousViolations(page)).toEqual([]);
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

    await signIn(page, 'ada@anytown.test');
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
    expect(await seriousViolations(page)).toEqual([]);
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
    const fit = await overflow(page);
    expect({ scrollWidth: fit.scrollWidth, wider: fit.wider }).toEqual({ scrollWidth: fit.clientWidth, wider: [] });
    await screenshot('320px');
    await page.locator('#case-heading').scrollIntoViewIfNeeded();
    await screenshot('320px-case', false);
    await page.setViewportSize({ width: 1400, height: 1000 });
  });

  it('raised no script error and no Content-Security-Policy violation along the way', () => {
    expect(pageProblems).toEqual([]);
  });
});

/**
 * Two agents in two browsers on one case: who is viewing and who is typing shows live on the owner's screen, and the
 * owner hands the case to the colleague by name with the transfer form (its list shows presence and load).
 */
describe('Agent console in the browser: two agents on one case', () => {
  let t: TestApp;
  let inbox: { token: string };
  let browser: Browser;
  let ada: Page, brian: Page;
  let brianId: string;
  let adminToken: string;
  const problems: string[] = [];
  let kase: { caseId: string; reference: string };

  beforeAll(async () => {
    t = await startTestApp();
    inbox = await givenApiInbox(t, { name: 'Resident portal' });
    await givenAgent(t, { name: 'Ada Byron', email: 'ada.byron@anytown.test', password: PASSWORD, capacity: 5 });
    brianId = (await givenAgent(t, { name: 'Brian Kernighan', email: 'brian@anytown.test', password: PASSWORD, capacity: 5 })).agent.id;
    adminToken = (await givenAgent(t, { name: 'Grace Admin', role: AgentRole.Admin })).token;
    browser = await launchChromium();
    [ada, brian] = await Promise.all(['ada.byron@anytown.test', 'brian@anytown.test'].map((email) => signedIn(email)));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** A browser context of its own (its own session cookie), signed in. */
  async function signedIn(email: string): Promise<Page> {
    const context = await browser.newContext(DESK);
    const page = await context.newPage();
    page.setDefaultTimeout(PAGE_STEP_TIMEOUT_MS);
    watchPage(page, problems, { who: `${email}:` });
    await page.goto(`${t.url}/console`);
    await signIn(page, email);
    await page.locator('#connection-status', { hasText: 'Connected' }).waitFor();
    return page;
  }

  it('Ada claims a new case; when Brian opens it, Ada sees Brian viewing', async () => {
    const posted = await postApiMessage(t, inbox.token, { externalId: `two-${Date.now()}`, from: { address: 'resident-linus', name: 'Linus Torvalds' }, text: 'My parking permit has not arrived' });
    expect(posted.status).toBe(201);
    kase = { caseId: String(posted.body.caseId), reference: String(posted.body.reference) };
    await ada.locator(`#open-${kase.caseId}`).click();
    await ada.locator('#case-claim').click();
    await ada.locator('.hub-facts', { hasText: 'You' }).waitFor();
    expect(await ada.locator('#case-presence').innerText()).not.toContain('Brian');

    await brian.locator(`#open-${kase.caseId}`).click();
    await brian.locator('#case-heading', { hasText: kase.reference }).waitFor();
    await brian.locator('.hub-facts', { hasText: 'Ada Byron' }).waitFor();
    await ada.locator('#case-presence', { hasText: 'Also viewing: Brian Kernighan.' }).waitFor();
    await brian.locator('#case-presence', { hasText: 'Also viewing: Ada Byron.' }).waitFor();
  });

  it('when Brian types, Ada sees “Brian Kernighan is typing”; once he stops, it clears', async () => {
    await brian.locator('#note-text').click();
    await brian.keyboard.type('Ada, this resident wrote to us last week too', { delay: 20 });
    await ada.locator('#case-presence', { hasText: 'Brian Kernighan is typing.' }).waitFor();
    expect(await brian.locator('#case-presence').innerText()).not.toContain('typing');
    // He stops typing: after a few idle seconds his console says so, and Ada's line goes back to who is viewing.
    await eventually(async () => expect(await ada.locator('#case-presence').innerText()).toBe('Also viewing: Brian Kernighan.'), 10_000);
    // Typing again, then leaving the case: Ada's line clears both.
    await brian.locator('#note-text').press('End');
    await brian.keyboard.type(' (and the week before)', { delay: 20 });
    await ada.locator('#case-presence', { hasText: 'Brian Kernighan is typing.' }).waitFor();
    await brian.evaluate(`location.hash = '#/'`); // back to the queue
    await eventually(async () => expect(await ada.locator('#case-presence').innerText()).toBe(''), 10_000);
  });

  it('Ada transfers the case to Brian by name: the form lists her colleagues with presence and load, and Brian then owns it', async () => {
    await brian.locator('#presence').selectOption('available');
    const option = ada.locator(`#transfer-agent option[value="${brianId}"]`);
    await ada.locator('#transfer-department').selectOption({ index: 0 }); // this department, its list read again
    await eventually(async () => expect(await option.innerText()).toBe('Brian Kernighan: Available, 0 of 5 cases'));
    expect(await ada.locator('#transfer-agent option').allInnerTexts()).not.toContain(expect.stringContaining('Ada Byron'));
    await ada.locator('#transfer-agent').selectOption(brianId);
    await ada.locator('#transfer-note').fill('Brian handled this resident before');
    await ada.locator('#transfer-form').screenshot({ path: join(OUTPUT, 'console-transfer-to-colleague.png') });
    await ada.locator('#case-transfer').click();
    await ada.locator('.hub-facts', { hasText: 'Brian Kernighan' }).waitFor();
    await ada.locator('[role="log"]', { hasText: 'Transferred by Ada Byron' }).waitFor();
    expect(await ada.locator('[role="log"]').innerText()).toContain('Brian handled this resident before');

    await brian.locator(`tr[data-case-id="${kase.caseId}"]`, { hasText: 'You' }).waitFor();
    await brian.locator(`#open-${kase.caseId}`).click();
    await brian.locator('.hub-facts', { hasText: 'You' }).waitFor();
  });

  it('when an admin moves Brian to another department, his open console follows at once: it says so and lists the queue again', async () => {
    const posted = await postApiMessage(t, inbox.token, { externalId: `two-${Date.now()}-b`, from: { address: 'resident-ken', name: 'Ken Thompson' }, text: 'A question about council tax bands' });
    const waiting = String(posted.body.caseId);
    await brian.locator(`#open-${waiting}`).waitFor();
    const res = await fetch(`${t.url}/api/v1/agents/${brianId}`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
      body: JSON.stringify({ departments: ['waste'] }),
    });
    expect(res.status).toBe(200);
    await brian.locator('#page-alert', { hasText: 'Your role or departments have changed' }).waitFor();
    await brian.locator('#connection-status', { hasText: 'Connected' }).waitFor();
    // Customer services' waiting case is no longer his to see; the case he owns still is.
    await eventually(async () => expect(await brian.locator(`#open-${waiting}`).count()).toBe(0));
    await brian.locator(`#open-${kase.caseId}`).waitFor();
  });

  it('raised no script error along the way', () => {
    expect(problems).toEqual([]);
  });
});
