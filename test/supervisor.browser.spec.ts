import { Page } from 'playwright-core';
import { AgentRole } from '../src/common/enum';
import { pushToConsole } from '../src/console/console.events';
import { RealtimeService } from '../src/realtime/realtime.service';
import { SlaAlertKind, SlaTarget } from '../src/sla/sla-clock';
import { startTestApp, TestApp } from './support/app';
import { DESK, launchPersistentChromium, overflow, PAGE_STEP_TIMEOUT_MS, PASSWORD, PersistentChromium, Screenshots, seriousViolations, signIn, watchPage } from './support/browser';
import { CallbackStandIn, ReceivedRequest, StandInAnswer, startCallbackStandIn } from './support/callback-stand-in';
import { ConsoleClient, connectConsole } from './support/console-client';
import { eventually } from './support/eventually';
import { givenAgent, givenApiInbox, postApiMessage } from './support/given';

/**
 * The supervisor dashboard in a real browser (Debian's chromium driven by playwright-core) against the whole hub on
 * loopback. A small day is seeded through the hub's own front doors (API channel posts, an agent's console socket):
 * the tiles must show its exact figures, follow a new case live, stand still while paused and catch up on resume;
 * an SLA alert is listed and announced; an agent is turned away; axe-core finds nothing serious, at 1400 and 320 px.
 */

const DEPARTMENT = 'customer-services';

const accept = (req: ReceivedRequest, n: number): StandInAnswer => ({ status: 200, body: { id: `prov-${String(req.json.messageId)}-${n}` } });

describe('Supervisor dashboard in the browser (/supervisor)', () => {
  let t: TestApp;
  let hook: CallbackStandIn;
  let inbox: { token: string };
  let agentConsole: ConsoleClient;
  let agentId: string;
  let agentToken: string;
  let departmentId: string;
  let chromium: PersistentChromium;
  let page: Page;
  const pageProblems: string[] = [];
  const screenshots = new Screenshots('supervisor');
  /** `metrics:live` pushes the page's own socket received, in order (the waiting count of each). */
  const pushesSeen: number[] = [];
  const seeded: Array<{ caseId: string; reference: string }> = [];

  async function postCase(address: string, name: string): Promise<{ caseId: string; reference: string }> {
    // Plain words, so triage leaves the case in the inbox's department.
    const posted = await postApiMessage(t, inbox.token, { externalId: `sv-${Date.now()}-${Math.random()}`, from: { address, name }, text: 'Hello, could someone call me back please?' });
    expect(posted.status).toBe(201);
    return { caseId: String(posted.body.caseId), reference: String(posted.body.reference) };
  }

  async function agentCommand(event: string, payload: unknown): Promise<Record<string, any>> {
    const ack = await agentConsole.send(event, payload);
    if (!ack.ok) throw new Error(`${event} refused: ${ack.error.code} ${ack.error.message}`);
    return ack;
  }

  beforeAll(async () => {
    t = await startTestApp();
    hook = await startCallbackStandIn(accept);
    inbox = await givenApiInbox(t, { callbackUrl: hook.url, name: 'Resident portal', department: DEPARTMENT });
    await givenAgent(t, { role: AgentRole.Supervisor, departments: [DEPARTMENT], name: 'Sam Supervisor', email: 'sam@anytown.test', password: PASSWORD });
    const agent = await givenAgent(t, { role: AgentRole.Agent, departments: [DEPARTMENT], name: 'Ada Agent', email: 'ada@anytown.test', password: PASSWORD, capacity: 5 });
    agentId = agent.agent.id;
    agentToken = agent.token;
    agentConsole = await connectConsole(t.url, { token: agent.token });
    await agentCommand('agent:presence', { presence: 'available' });

    // The day so far: one case answered, one pending on the resident, one waiting.
    for (const [address, name] of [
      ['res-1', 'Grace Hopper'],
      ['res-2', 'Alan Turing'],
      ['res-3', 'Emmy Noether'],
    ]) {
      seeded.push(await postCase(address, name));
    }
    const [answered, pending] = seeded;
    await agentCommand('case:claim', { caseId: answered.caseId });
    await agentCommand('case:reply', { caseId: answered.caseId, text: 'Of course: we will call you this afternoon.' });
    await agentCommand('case:claim', { caseId: pending.caseId });
    await agentCommand('case:status', { caseId: pending.caseId, status: 'pending' });
    departmentId = (await agentCommand('case:open', { caseId: answered.caseId })).case.departmentId;

    chromium = await launchPersistentChromium(DESK);
    page = chromium.page;
    page.setDefaultTimeout(PAGE_STEP_TIMEOUT_MS);
    watchPage(page, pageProblems);
    // What reaches the page's socket, read off the wire: proof that pushes kept coming while the page was paused.
    page.on('websocket', (ws) =>
      ws.on('framereceived', ({ payload }) => {
        // socket.io's event packet on the /console namespace: 42/console,["metrics:live",{…}]
        const packet = /^42\/console,(\["metrics:live",.*)$/s.exec(String(payload));
        if (!packet) return;
        const [, snapshot] = JSON.parse(packet[1]) as [string, { totals: { waiting: number } }];
        pushesSeen.push(snapshot.totals.waiting);
      }),
    );
  }, 90_000);

  afterAll(async () => {
    await chromium?.close();
    agentConsole?.close();
    await hook?.close();
    await t?.close();
    screenshots.report('Supervisor screenshots');
  });

  const js = <T>(expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;
  const tile = (key: string) => page.locator(`[data-kpi="${key}"]`);
  const tileDetail = (key: string) => page.locator(`[data-kpi-detail="${key}"]`);

  const screenshot = (name: string, fullPage = true) => screenshots.take(page, name, fullPage);

  it('serves the page with a strict Content-Security-Policy and its own bundle', async () => {
    const res = await fetch(`${t.url}/supervisor`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    const html = await res.text();
    expect(html).toContain('/assets/supervisor.js');
    expect(html).not.toMatch(/<script>(?!<\/script>)|<script(?![^>]*\ssrc=)[^>]*>|\sstyle=|\son[a-z]+=/i);
    const script = await fetch(`${t.url}/assets/supervisor.js`);
    expect(script.status).toBe(200);
    expect(await script.text()).toContain('Answered within target divided by offered'); // the definitions, bundled
    const css = await fetch(`${t.url}/assets/supervisor.css`);
    expect(css.status).toBe(200);
    expect(await css.text()).toContain('.hub-tile');
  });

  it('asks a supervisor to sign in, with no serious accessibility problem', async () => {
    await page.goto(`${t.url}/supervisor`);
    await page.locator('#sign-in-form').waitFor();
    expect(await page.locator('h1').innerText()).toBe('Sign in to the supervisor dashboard');
    expect(await seriousViolations(page)).toEqual([]);
    await signIn(page, 'sam@anytown.test');
    await page.locator('#dashboard-heading').waitFor();
    await page.locator('#connection-status', { hasText: 'Connected' }).waitFor();
    expect(await page.locator('#agent-bar').innerText()).toContain('Sam Supervisor');
  });

  it('shows the seeded day in the tiles: 1 waiting, 1 in progress, 1 pending, 1 of 3 answered within target', async () => {
    await eventually(async () => expect(await tile('waiting').innerText()).toBe('1'));
    expect(await tile('inProgress').innerText()).toBe('1');
    expect(await tile('pendingOnResident').innerText()).toBe('1');
    expect(await tile('serviceLevel').innerText()).toBe('33.3%');
    expect(await tileDetail('serviceLevel').innerText()).toBe('1 of 3 offered answered within target');
    expect(await tileDetail('averageSpeedOfAnswer').innerText()).toBe('over 1 answered');
    expect(await tile('averageSpeedOfAnswer').innerText()).toMatch(/^\d+ s$|^\d+ min \d\d s$/);
    expect(await tile('abandoned').innerText()).toBe('0');
    expect(await tile('longestWait').innerText()).toMatch(/^\d+ s$|^\d+ min \d\d s$/);
    expect(await tileDetail('longestWait').innerText()).toContain('Within answer targets');
    expect(await tile('backlogAgeBands').innerText()).toBe('3 open');
    expect(await tileDetail('backlogAgeBands').innerText()).toContain('Under 1 working day: 3');
    expect(await tileDetail('agentsByPresence').innerText()).toContain('Available: 1');

    // Help text from the metrics module's definitions, behind a GOV.UK details.
    await page.locator('[data-tile="serviceLevel"] summary').click();
    expect(await page.locator('[data-tile="serviceLevel"] .govuk-details__text').innerText()).toContain('Answered within target divided by offered');

    // The department's table: its totals first, then a row per channel.
    const table = page.locator(`[data-department="${DEPARTMENT}"] table`);
    expect(await table.locator('caption').innerText()).toBe('Customer Services: queue figures by channel');
    const all = table.locator('tr[data-channel="all"]');
    expect(await all.locator('th[scope="row"]').innerText()).toBe('All channels');
    expect(await all.locator('td[data-column="Waiting"]').innerText()).toBe('1');
    expect(await all.locator('td[data-column="Offered today"]').innerText()).toBe('3');
    expect(await table.locator('tr[data-channel="api"] th').innerText()).toBe('API');
    expect(await table.locator('thead th[scope="col"]').count()).toBeGreaterThan(10);

    // Agents with presence (a word) and load.
    const ada = page.locator(`#agents-table tr[data-agent-id="${agentId}"]`);
    expect(await ada.innerText()).toMatch(/Ada Agent\s+Agent\s+Available\s+2 of 5 cases/);
  });

  it('draws the day’s charts with a text alternative, and links the CSV of the same history', async () => {
    const summary = page.locator('#chart-volume-summary');
    await eventually(async () => expect(await summary.innerText()).toContain('3 offered, 1 answered, 0 abandoned'));
    expect(await page.locator('.hub-chart canvas[role="img"]').count()).toBe(3);
    expect(await page.locator('#chart-volume canvas').getAttribute('aria-describedby')).toBe('chart-volume-summary');
    await page.locator('#chart-volume summary').click();
    expect(await page.locator('#chart-volume-table tbody tr').count()).toBeGreaterThanOrEqual(1);

    const href = await page.locator('#history-csv').getAttribute('href');
    expect(href).toMatch(/^\/api\/v1\/metrics\/history\?.*format=csv/);
    // The link works with the session the page signed in with (the cookie), as a browser download would.
    const csv = await page.evaluate(async (url) => (await fetch(url)).text(), href!);
    expect(csv.split('\n')[0]).toMatch(/offered/);
  });

  it('updates a tile live when a new case arrives, without announcing the routine push', async () => {
    seeded.push(await postCase('res-4', 'Ada Lovelace'));
    await eventually(async () => expect(await tile('waiting').innerText()).toBe('2'), 15_000);
    expect(await page.locator('#supervisor-status').innerText()).toBe('');
  });

  it('pauses auto-refresh: pushes still arrive but change nothing; resuming brings the figures up to date', async () => {
    // Keyboard: from the page heading, Tab reaches the pause control first, with GOV.UK's focus style.
    await page.locator('#dashboard-heading').focus();
    await page.keyboard.press('Tab');
    expect(await js('document.activeElement.id')).toBe('pause-refresh');
    expect(await js(`getComputedStyle(document.activeElement).backgroundColor`)).toBe('rgb(255, 221, 0)');
    await page.keyboard.press('Enter');
    await page.locator('#pause-refresh', { hasText: 'Resume auto-refresh' }).waitFor();
    await page.locator('#supervisor-status', { hasText: 'Auto-refresh paused' }).waitFor();
    expect(await page.locator('#refresh-status').innerText()).toMatch(/^Paused\./);

    seeded.push(await postCase('res-5', 'Katherine Johnson'));
    // The hub pushed the new figure to this very page…
    await eventually(() => expect(pushesSeen).toContain(3), 15_000);
    // …and the paused page still shows the old one (given a moment in which a live page would have redrawn).
    await page.waitForTimeout(300);
    expect(await tile('waiting').innerText()).toBe('2');

    await page.locator('#pause-refresh').click();
    await eventually(async () => expect(await tile('waiting').innerText()).toBe('3'));
    await page.locator('#pause-refresh', { hasText: 'Pause auto-refresh' }).waitFor();
    await page.locator('#supervisor-status', { hasText: 'Auto-refresh resumed' }).waitFor();
    expect(await page.locator('#refresh-status').innerText()).toMatch(/^Updating live\./);
  });

  it('lists an SLA alert as it is pushed, with words and an icon, and announces it politely', async () => {
    const late = seeded[2];
    const alert = {
      caseId: late.caseId,
      reference: late.reference,
      departmentId,
      target: SlaTarget.FirstResponse,
      kind: SlaAlertKind.Breach,
      dueAt: new Date(Date.now() - 60_000).toISOString(),
      raisedAt: new Date().toISOString(),
      assignee: null,
    };
    // The SLA module's push, as its delayed job sends it at the due time (test/sla*.spec.ts covers when it fires).
    pushToConsole(t.get(RealtimeService), [`supervisors:${departmentId}`], 'sla:alert', alert);
    const row = page.locator(`#breaches-table tr[data-case-id="${late.caseId}"]`);
    await row.waitFor();
    expect(await row.innerText()).toMatch(new RegExp(`${late.reference}\\s+✖ Breached\\s+First response`));
    expect(await row.locator('a').getAttribute('href')).toBe(`/console#/cases/${late.caseId}`);
    const status = page.locator('#supervisor-status');
    expect(await status.getAttribute('role')).toBe('status');
    await status.filter({ hasText: `SLA breached: case ${late.reference}, first response was due at` }).waitFor();
  });

  it('has no serious or critical accessibility violation with figures, charts and an alert on screen, and 24 px targets', async () => {
    await page.locator('#chart-service-level summary').click();
    expect(await seriousViolations(page)).toEqual([]);
    const small = await js<string[]>(`[...document.querySelectorAll('#app button, #app select, #app summary, #agent-bar button, #agent-bar select')]
      .filter((el) => { const r = el.getBoundingClientRect(); return r.height < 24 || r.width < 24; })
      .map((el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : ''))`);
    expect(small).toEqual([]);
    await screenshot('dashboard');
  });

  it('fits a 320 px wide screen (400 % zoom) without scrolling the page sideways', async () => {
    await page.setViewportSize({ width: 320, height: 800 });
    await page.reload();
    await eventually(async () => expect(await tile('waiting').innerText()).toBe('3'));
    // A wide table scrolls inside its own box (.hub-table-scroll); the page itself must not.
    const fit = await overflow(page, { except: '.hub-table-scroll' });
    expect({ scrollWidth: fit.scrollWidth, wider: fit.wider }).toEqual({ scrollWidth: fit.clientWidth, wider: [] });
    await screenshot('320px', false);
    await page.setViewportSize({ width: 1400, height: 1000 });
  });

  it('turns an agent away with a clear "supervisors only" page, and the API refuses them too', async () => {
    await page.locator('#sign-out').click();
    await signIn(page, 'ada@anytown.test');
    await page.locator('h1', { hasText: 'This page is for supervisors only' }).waitFor();
    expect(await page.locator('#app').innerText()).toContain('You are signed in as Ada Agent, an agent.');
    expect(await page.locator('#to-console').getAttribute('href')).toBe('/console');
    expect(await page.locator('[data-kpi]').count()).toBe(0);
    expect(await seriousViolations(page)).toEqual([]);
    const refused = await fetch(`${t.url}/api/v1/metrics/live`, { headers: { authorization: `Bearer ${agentToken}` } });
    expect(refused.status).toBe(403);
    await screenshot('agent-refused');
  });

  it('raised no script error and no Content-Security-Policy violation along the way', () => {
    expect(pageProblems).toEqual([]);
  });
});
