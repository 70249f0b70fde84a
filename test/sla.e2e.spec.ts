import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AgentRole } from '../src/common/enum';
import { CouncilConfig } from '../src/config/council-config';
import { DepartmentsService } from '../src/departments/departments.service';
import { SlaConfig } from '../src/sla/sla-config';
import { SlaService } from '../src/sla/sla.service';
import { startTestApp, TestApp } from './support/app';
import { ConsoleClient, connectConsole } from './support/console-client';
import { eventually } from './support/eventually';
import { givenAgent, givenApiInbox, postApiMessage } from './support/given';
import { HttpStandIn, startHttpStandIn } from './support/http-stand-in';

type Staff = Awaited<ReturnType<typeof givenAgent>>;

const ALL_WEEK = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => `${d}: "00:00-24:00"`).join(', ');
const HOUR = 3_600_000;

/**
 * Test policies. Departments that work round the clock, every day of the year, so working time is real time and a
 * due time is the arrival plus the target (whenever the test runs); waste keeps the council's office hours.
 */
const SLA_YAML = `
warningAt: 0.5
policy:
  urgent: { firstResponse: 1h, resolution: 1d }
  high: { firstResponse: 4h, resolution: 3d }
  normal: { firstResponse: 1d, resolution: 5d }
  low: { firstResponse: 2d, resolution: 10d }
departments:
  housing:
    policy:
      normal: { firstResponse: 1h, resolution: 2h }
      urgent: { firstResponse: 10m, resolution: 30m }
  customer-services:
    policy:
      normal: { firstResponse: 6s, resolution: 1h }
  highways:
    policy:
      normal: { firstResponse: 8s, resolution: 1h }
`;

/** The departments' hours (config/opening-hours.yaml, shared with the web chat): the three above never close. */
const HOURS_YAML = `
hours: { mon: "09:00-17:00", tue: "09:00-17:00", wed: "09:00-17:00", thu: "09:00-17:00", fri: "09:00-17:00" }
departments:
  housing: { bankHolidays: false, hours: { ${ALL_WEEK} } }
  customer-services: { bankHolidays: false, hours: { ${ALL_WEEK} } }
  highways: { bankHolidays: false, hours: { ${ALL_WEEK} } }
`;

interface CaseClocks {
  created_at: Date;
  status: string;
  sla_first_response_due_at: Date | null;
  sla_first_response_warn_at: Date | null;
  sla_resolution_due_at: Date | null;
  sla_paused_since: Date | null;
  sla_pauses: Array<[string, string]>;
}

/** An sla:alert as a supervisor's socket received it, and when (this machine's clock, the hub's too). */
interface Received {
  alert: { caseId: string; reference: string; departmentId: string; target: string; kind: string; dueAt: string; raisedAt: string; assignee: unknown };
  at: number;
}

describe.each([
  ['BullMQ on Redis', true],
  ['in-process jobs', false],
])('SLA clocks and alerts (%s delayed jobs, a real socket.io supervisor, a Slack stand-in)', (_mode, redis) => {
  let t: TestApp;
  let dir: string;
  let slack: HttpStandIn;
  let config: SlaConfig;
  let departments: Record<string, string>;
  let inboxes: Record<string, string>;
  let sue: Staff, hal: Staff, wes: Staff, agent: Staff;
  let sueSocket: ConsoleClient;
  const alerts: Received[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-sla-e2e-'));
    cpSync(join(__dirname, '../config'), dir, { recursive: true });
    writeFileSync(join(dir, 'sla.yaml'), SLA_YAML);
    writeFileSync(join(dir, 'opening-hours.yaml'), HOURS_YAML);
    config = SlaConfig.load(dir, CouncilConfig.load(dir));
    slack = await startHttpStandIn((req, n) => ({ status: 200, body: { ok: true, channel: String(req.json.channel), ts: `1764231000.${String(n).padStart(6, '0')}` } }));
    t = await startTestApp({
      redis,
      env: { CONFIG_DIR: dir, SLACK_BOT_TOKEN: 'xoxb-sla-test', SLACK_API_URL: `${slack.url}/api/`, SLACK_MIRROR_CHANNELS: 'customer-services=CSLA' },
    });
    departments = Object.fromEntries((await t.get(DepartmentsService).list()).map((d) => [d.slug, d.id]));
    const inbox = async (department: string) => (await givenApiInbox(t, { department })).token;
    inboxes = { cs: await inbox('customer-services'), housing: await inbox('housing'), highways: await inbox('highways'), waste: await inbox('waste') };
    [sue, hal, wes, agent] = await Promise.all([
      givenAgent(t, { name: 'Sue Pervisor', role: AgentRole.Supervisor, departments: ['customer-services', 'housing'] }),
      givenAgent(t, { name: 'Hal Highways', role: AgentRole.Supervisor, departments: ['highways'] }),
      givenAgent(t, { name: 'Wes Waste', role: AgentRole.Supervisor, departments: ['waste'] }),
      givenAgent(t, { name: 'Andy Agent', departments: ['customer-services'] }),
    ]);
    sueSocket = await connectConsole(t.url, { token: sue.token });
    sueSocket.socket.on('sla:alert', (alert: Received['alert']) => alerts.push({ alert, at: Date.now() }));
    await sueSocket.waitFor('hello');
  });

  afterAll(async () => {
    sueSocket?.close();
    await t?.close();
    await slack?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A resident writes through the API channel (neutral words: triage leaves the inbox's department and priority). */
  async function residentWrites(inbox: string, resident = `resident-${randomUUID()}`, text = 'Hello, I have a question please'): Promise<{ caseId: string; resident: string }> {
    const res = await postApiMessage(t, inbox, { externalId: `in-${randomUUID()}`, from: { address: resident }, text });
    expect(res.status).toBe(201);
    return { caseId: res.body.caseId as string, resident };
  }

  const clocks = async (caseId: string) =>
    (
      await t.db.query<CaseClocks>(
        `SELECT created_at, status, sla_first_response_due_at, sla_first_response_warn_at, sla_resolution_due_at, sla_paused_since, sla_pauses FROM "case" WHERE id = $1`,
        [caseId],
      )
    )[0];

  const computed = (caseId: string) =>
    eventually(async () => {
      const c = await clocks(caseId);
      expect(c.sla_first_response_due_at).not.toBeNull();
      return c;
    });

  async function get(path: string, who: Staff) {
    const res = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${who.token}` } });
    return { status: res.status, body: (await res.json()) as any };
  }

  describe('due times', () => {
    it('are set on a new case after it is created, from the department’s policy, and shown on the case views', async () => {
      const { caseId } = await residentWrites(inboxes.housing);
      const c = await computed(caseId);
      expect(c.sla_first_response_due_at!.getTime()).toBe(c.created_at.getTime() + HOUR);
      expect(c.sla_resolution_due_at!.getTime()).toBe(c.created_at.getTime() + 2 * HOUR);

      const rest = await get(`/api/v1/cases/${caseId}`, sue);
      expect(rest.status).toBe(200);
      expect(rest.body.case.sla).toEqual({
        firstResponseDueAt: c.sla_first_response_due_at!.toISOString(),
        resolutionDueAt: c.sla_resolution_due_at!.toISOString(),
        state: 'ok',
        pausedSince: null,
      });
      const list = await get(`/api/v1/cases?department=housing&limit=100`, sue);
      expect(list.body.items.find((x: { id: string }) => x.id === caseId).sla.firstResponseDueAt).toBe(c.sla_first_response_due_at!.toISOString());

      const opened = await sueSocket.send('case:open', { caseId });
      expect(opened).toMatchObject({ ok: true, case: { id: caseId, sla: { firstResponseDueAt: c.sla_first_response_due_at!.toISOString(), state: 'ok' } } });
      // the department's consoles hear of the clocks without a new case version
      await sueSocket.waitFor('sla:updated', (p) => p.caseId === caseId && p.sla.firstResponseDueAt === c.sla_first_response_due_at!.toISOString());
    });

    it('count office hours and bank holidays for a department that keeps them (an out-of-hours arrival waits for the opening)', async () => {
      const { caseId } = await residentWrites(inboxes.waste);
      const c = await computed(caseId);
      const office = config.calendarFor('waste');
      // normal: 1 working day = 8 working hours, 5 working days = 40
      expect(office.workingTimeBetween(c.created_at, c.sla_first_response_due_at!)).toBe(8 * HOUR);
      expect(office.workingTimeBetween(c.created_at, c.sla_resolution_due_at!)).toBe(40 * HOUR);
      expect(c.sla_first_response_due_at).toEqual(office.addWorkingDays(c.created_at, 1));
      const due = c.sla_first_response_due_at!;
      expect(office.isWorkingTime(new Date(due.getTime() - 1))).toBe(true); // it falls inside office hours
    });

    it('are computed again when the priority changes', async () => {
      const { caseId } = await residentWrites(inboxes.housing);
      const before = await computed(caseId);
      expect(await sueSocket.send('case:priority', { caseId, priority: 'urgent' })).toMatchObject({ ok: true });
      const after = await eventually(async () => {
        const c = await clocks(caseId);
        expect(c.sla_first_response_due_at!.getTime()).toBe(before.created_at.getTime() + 10 * 60_000);
        return c;
      });
      expect(after.sla_resolution_due_at!.getTime()).toBe(before.created_at.getTime() + 30 * 60_000);
    });

    it('are computed again when the case moves to a department with another policy', async () => {
      const { caseId } = await residentWrites(inboxes.housing);
      const before = await computed(caseId);
      expect(await sueSocket.send('case:transfer', { caseId, departmentId: departments['waste'] })).toMatchObject({ ok: true });
      const after = await eventually(async () => {
        const c = await clocks(caseId);
        expect(c.sla_first_response_due_at).toEqual(config.calendarFor('waste').addWorkingDays(before.created_at, 1));
        return c;
      });
      expect(after.sla_resolution_due_at).toEqual(config.calendarFor('waste').addWorkingDays(before.created_at, 5));
    });
  });

  it('documents GET /api/v1/sla/breaches and the cases’ sla in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${t.url}/api/docs/openapi.json`)).json()) as any;
    expect(doc.paths['/api/v1/sla/breaches'].get.security).toEqual([{ 'staff-token': [] }]);
    expect(doc.paths['/api/v1/sla/breaches'].get.parameters.map((p: any) => p.name)).toEqual(['departmentId']);
    expect(Object.keys(doc.components.schemas.SlaDto.properties)).toEqual(['firstResponseDueAt', 'resolutionDueAt', 'state', 'pausedSince']);
    expect(doc.components.schemas.CaseDto.properties.sla).toBeDefined();
  });

  describe('alerts', () => {
    it('warn at 50 % and breach at 100 % of the target, never before: to the supervisors’ room and to Slack', async () => {
      const { caseId } = await residentWrites(inboxes.cs);
      const breach = await eventually(() => {
        const found = alerts.find((r) => r.alert.caseId === caseId && r.alert.kind === 'breach');
        if (!found) throw new Error('no breach yet');
        return found;
      }, 20_000);
      const warning = alerts.find((r) => r.alert.caseId === caseId && r.alert.kind === 'warning');
      const c = await clocks(caseId);
      const due = c.sla_first_response_due_at!.getTime();
      expect(breach.alert).toMatchObject({ target: 'firstResponse', departmentId: departments['customer-services'], dueAt: new Date(due).toISOString(), assignee: null });
      expect(breach.alert.reference).toMatch(/^C-\d{4}-\d{6}$/);
      // no alert before its time: received (and raised) at or after the instant it is for
      expect(breach.at).toBeGreaterThanOrEqual(due);
      expect(Date.parse(breach.alert.raisedAt)).toBeGreaterThanOrEqual(due);
      expect(warning).toBeDefined();
      expect(warning!.at).toBeGreaterThanOrEqual(c.sla_first_response_warn_at!.getTime());
      expect(warning!.at).toBeLessThanOrEqual(breach.at);
      expect(c.sla_first_response_warn_at!.getTime()).toBe(c.created_at.getTime() + 3000);
      // one of each, however often the jobs ran
      expect(alerts.filter((r) => r.alert.caseId === caseId).map((r) => r.alert.kind)).toEqual(['warning', 'breach']);

      const posts = await eventually(() => {
        const found = slack.requests.filter((r) => r.path === '/api/chat.postMessage' && String(r.json.text).includes(breach.alert.reference) && String(r.json.text).includes('SLA'));
        expect(found).toHaveLength(2);
        return found;
      });
      expect(posts.map((p) => p.json.channel)).toEqual(['CSLA', 'CSLA']);
      expect(String(posts[0].json.text)).toMatch(/SLA warning.*used 50 % of its first response target/);
      expect(String(posts[1].json.text)).toMatch(/SLA breached.*missed its first response target/);
      expect(posts[1].headers.authorization).toBe('Bearer xoxb-sla-test');

      // listed for the department's supervisors (the breach supersedes the warning), not for others
      const listed = await get('/api/v1/sla/breaches', sue);
      expect(listed.status).toBe(200);
      expect(listed.body.alerts.filter((a: { caseId: string }) => a.caseId === caseId)).toEqual([breach.alert]);
      expect((await get(`/api/v1/sla/breaches?departmentId=customer-services`, sue)).body.alerts.map((a: { caseId: string }) => a.caseId)).toContain(caseId);
      expect((await get('/api/v1/sla/breaches', wes)).body.alerts.map((a: { caseId: string }) => a.caseId)).not.toContain(caseId);
      expect((await get(`/api/v1/sla/breaches?departmentId=${departments['customer-services']}`, wes)).status).toBe(404);
      expect((await get('/api/v1/sla/breaches?departmentId=nowhere', sue)).status).toBe(404);
      expect((await get('/api/v1/sla/breaches', agent)).status).toBe(403);
      expect((await get(`/api/v1/cases/${caseId}`, sue)).body.case.sla.state).toBe('breached');

      // the first reply meets the target: the alert is no longer current
      const reply = await fetch(`${t.url}/api/v1/cases/${caseId}/replies`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${sue.token}` },
        body: JSON.stringify({ text: 'Sorry for the wait, here is your answer.' }),
      });
      expect(reply.status).toBe(201);
      await eventually(async () => expect((await get('/api/v1/sla/breaches', sue)).body.alerts.map((a: { caseId: string }) => a.caseId)).not.toContain(caseId));
      const [row] = await t.db.query<{ cleared_reason: string }>(`SELECT cleared_reason FROM sla_alert WHERE case_id = $1 AND kind = 'breach'`, [caseId]);
      expect(row.cleared_reason).toBe('met');
    });

    it('are raised late by the sweep when their job was lost (a restart of in-process jobs)', async () => {
      const { caseId } = await residentWrites(inboxes.housing);
      await computed(caseId);
      // as if the process holding the jobs died: the case's clocks ran out, no job is left to say so
      await t.db.query(
        `UPDATE "case" SET sla_first_response_warn_at = now() - interval '2 minutes', sla_first_response_due_at = now() - interval '1 minute' WHERE id = $1`,
        [caseId],
      );
      await t.get(SlaService).handleSweep();
      const breach = await sueSocket.waitFor('sla:alert', (a) => a.caseId === caseId && a.kind === 'breach');
      expect(breach).toMatchObject({ target: 'firstResponse', departmentId: departments['housing'] });
      await t.get(SlaService).handleSweep(); // nothing more to raise
      await eventually(async () => expect(await t.db.query(`SELECT kind FROM sla_alert WHERE case_id = $1`, [caseId])).toEqual([{ kind: 'breach' }]));
      expect(alerts.filter((r) => r.alert.caseId === caseId).map((r) => r.alert.kind)).toEqual(['breach']);
    });

    it('are cleared when the case is resolved, and a reopened case continues where its clocks stopped', async () => {
      const { caseId, resident } = await residentWrites(inboxes.housing);
      const before = await computed(caseId);
      await t.db.query(`UPDATE "case" SET sla_first_response_warn_at = now() - interval '2 minutes', sla_first_response_due_at = now() - interval '1 minute' WHERE id = $1`, [caseId]);
      await t.get(SlaService).handleSweep();
      await sueSocket.waitFor('sla:alert', (a) => a.caseId === caseId && a.kind === 'breach');

      expect(await sueSocket.send('case:status', { caseId, status: 'resolved' })).toMatchObject({ ok: true });
      await eventually(async () => expect(await t.db.query(`SELECT cleared_reason FROM sla_alert WHERE case_id = $1`, [caseId])).toEqual([{ cleared_reason: 'resolved' }]));
      expect((await get('/api/v1/sla/breaches', sue)).body.alerts.map((a: { caseId: string }) => a.caseId)).not.toContain(caseId);
      const resolved = await clocks(caseId);
      expect(resolved.sla_first_response_due_at!.getTime()).toBe(before.created_at.getTime() + HOUR); // computed afresh
      expect(resolved.sla_paused_since).not.toBeNull();

      await residentWrites(inboxes.housing, resident, 'Sorry, one more thing');
      const reopened = await eventually(async () => {
        const c = await clocks(caseId);
        expect(c.status).toBe('new');
        expect(c.sla_pauses).toHaveLength(1);
        return c;
      });
      const [from, to] = reopened.sla_pauses[0].map(Date.parse);
      expect(from).toBe(resolved.sla_paused_since!.getTime());
      expect(reopened.sla_first_response_due_at!.getTime()).toBe(before.created_at.getTime() + HOUR + (to - from));
    });

    it('hold still while the case is pending on the resident, and come due later by the time it waited', async () => {
      const halSocket = await connectConsole(t.url, { token: hal.token });
      const received: Received[] = [];
      halSocket.socket.on('sla:alert', (alert: Received['alert']) => received.push({ alert, at: Date.now() }));
      try {
        await halSocket.waitFor('hello');
        const { caseId, resident } = await residentWrites(inboxes.highways);
        const before = await computed(caseId);
        const due0 = before.sla_first_response_due_at!.getTime();
        expect(await halSocket.send('case:status', { caseId, status: 'pending' })).toMatchObject({ ok: true });
        const paused = await eventually(async () => {
          const c = await clocks(caseId);
          expect(c.sla_paused_since).not.toBeNull();
          return c;
        });
        expect((await get(`/api/v1/cases/${caseId}`, hal)).body.case.sla.pausedSince).toBe(paused.sla_paused_since!.toISOString());

        // the first-response target passes while the resident is away: nothing is raised meanwhile
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, due0 - Date.now()) + 1500));
        const during = await t.db.query(`SELECT kind FROM sla_alert WHERE case_id = $1 AND raised_at >= $2`, [caseId, paused.sla_paused_since]);
        expect(during).toEqual([]);
        expect(received.filter((r) => r.alert.caseId === caseId && r.alert.kind === 'breach')).toEqual([]);

        // the resident answers: the clocks run again, the due times pushed out by the paused time
        await residentWrites(inboxes.highways, resident, 'Here is the photo you asked for');
        const resumed = await eventually(async () => {
          const c = await clocks(caseId);
          expect(c.sla_paused_since).toBeNull();
          expect(c.sla_pauses).toHaveLength(1);
          return c;
        });
        const [from, to] = resumed.sla_pauses[0].map(Date.parse);
        expect(from).toBe(paused.sla_paused_since!.getTime());
        expect(to).toBeGreaterThan(due0);
        const due1 = resumed.sla_first_response_due_at!.getTime();
        expect(due1).toBe(due0 + (to - from));
        expect(resumed.sla_resolution_due_at!.getTime()).toBe(before.sla_resolution_due_at!.getTime() + (to - from));

        const breach = await halSocket.waitFor('sla:alert', (a) => a.caseId === caseId && a.kind === 'breach', 20_000);
        const got = received.find((r) => r.alert.caseId === caseId && r.alert.kind === 'breach')!;
        expect(breach.dueAt).toBe(new Date(due1).toISOString());
        expect(got.at).toBeGreaterThanOrEqual(due1);
        // Slack only where the department has a channel: highways has none
        expect(slack.requests.filter((r) => String(r.json.text).includes(breach.reference) && String(r.json.text).includes('SLA'))).toEqual([]);
      } finally {
        halSocket.close();
      }
    });
  });
});

describe('SLA on the embedded database (npm run demo: PGlite, in-process jobs)', () => {
  let t: TestApp;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-sla-embedded-'));
    cpSync(join(__dirname, '../config'), dir, { recursive: true });
    writeFileSync(join(dir, 'sla.yaml'), SLA_YAML);
    writeFileSync(join(dir, 'opening-hours.yaml'), HOURS_YAML);
    t = await startTestApp({ embedded: true, env: { CONFIG_DIR: dir } });
  });

  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sets the due times and raises the breach after its due time', async () => {
    const inbox = (await givenApiInbox(t, { department: 'customer-services' })).token;
    const sue = await givenAgent(t, { role: AgentRole.Supervisor, departments: ['customer-services'] });
    const res = await postApiMessage(t, inbox, { externalId: `in-${randomUUID()}`, from: { address: `resident-${randomUUID()}` }, text: 'Hello, I have a question please' });
    expect(res.status).toBe(201);
    const caseId = res.body.caseId as string;
    const alert = await eventually(async () => {
      const list = (await (await fetch(`${t.url}/api/v1/sla/breaches`, { headers: { authorization: `Bearer ${sue.token}` } })).json()) as { alerts: Array<{ caseId: string; kind: string; dueAt: string; raisedAt: string }> };
      const found = list.alerts.find((a) => a.caseId === caseId && a.kind === 'breach');
      if (!found) throw new Error(`no breach listed yet: ${JSON.stringify(list)}`);
      return found;
    }, 20_000);
    const [c] = await t.db.query<{ created_at: Date; sla_first_response_due_at: Date }>(`SELECT created_at, sla_first_response_due_at FROM "case" WHERE id = $1`, [caseId]);
    expect(c.sla_first_response_due_at.getTime()).toBe(c.created_at.getTime() + 6000);
    expect(alert.dueAt).toBe(c.sla_first_response_due_at.toISOString());
    expect(Date.parse(alert.raisedAt)).toBeGreaterThanOrEqual(Date.parse(alert.dueAt));
  });
});
