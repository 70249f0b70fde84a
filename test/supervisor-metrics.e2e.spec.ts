import { randomBytes, randomUUID } from 'node:crypto';
import { AgentRole } from '../src/common/enum';
import { DepartmentsService } from '../src/departments/departments.service';
import type { LiveSnapshot } from '../src/supervisor/kpi-definitions';
import { SupervisorMetricsPush } from '../src/supervisor/supervisor-metrics.push';
import { startTestApp, TestApp } from './support/app';
import { ConsoleClient, connectConsole } from './support/console-client';
import { givenAgent, givenApiInbox, givenCase, postApiMessage } from './support/given';

type Staff = Awaited<ReturnType<typeof givenAgent>>;

/** The supervisor's metrics over HTTP and the /console socket, against the whole hub on loopback. */
describe('Supervisor metrics: REST, push and Prometheus', () => {
  let t: TestApp;
  let departments: Record<string, string>;
  let housingInbox: string;
  let wasteInbox: string;
  let housingSupervisor: Staff, highwaysSupervisor: Staff, admin: Staff, housingAgent: Staff, highwaysAgent: Staff;
  const sockets: ConsoleClient[] = [];

  beforeAll(async () => {
    t = await startTestApp();
    departments = Object.fromEntries((await t.get(DepartmentsService).list()).map((d) => [d.slug, d.id]));
    housingInbox = (await givenApiInbox(t, { department: 'housing' })).token;
    wasteInbox = (await givenApiInbox(t, { department: 'waste' })).token;
    [housingSupervisor, highwaysSupervisor, admin, housingAgent, highwaysAgent] = await Promise.all([
      givenAgent(t, { role: AgentRole.Supervisor, departments: ['housing'], name: 'Hattie Housing' }),
      givenAgent(t, { role: AgentRole.Supervisor, departments: ['highways'], name: 'Hugh Highways' }),
      givenAgent(t, { role: AgentRole.Admin, name: 'Ada Admin' }),
      givenAgent(t, { departments: ['housing'], name: 'Andy Agent' }),
      givenAgent(t, { departments: ['highways'], name: 'Ivy Highways' }),
    ]);
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await t?.close();
  });

  async function connect(who: Staff): Promise<ConsoleClient> {
    const client = await connectConsole(t.url, { token: who.token });
    sockets.push(client);
    await client.waitFor('hello');
    return client;
  }

  const get = (path: string, who?: Staff, headers: Record<string, string> = {}) =>
    fetch(`${t.url}${path}`, { headers: { ...(who ? { authorization: `Bearer ${who.token}` } : {}), ...headers } });

  describe('the push', () => {
    it('reaches a supervisor’s socket with their departments only, and never an agent’s', async () => {
      const supervisor = await connect(housingSupervisor);
      const agent = await connect(housingAgent);
      await givenCase(t, wasteInbox);
      const caseId = await givenCase(t, housingInbox);
      const pushed: LiveSnapshot = await supervisor.waitFor('metrics:live', (s: LiveSnapshot) => s.totals.waiting >= 1, 15_000);
      expect(pushed.departments.map((d) => d.slug)).toEqual(['housing']);
      expect(pushed.departments[0].channels.map((c) => c.channel)).toEqual(['api']);
      expect(pushed.totals.waiting).toBe(1); // the waste case is not theirs
      expect(pushed.agents.map((a) => a.name).sort()).toEqual(['Andy Agent', 'Hattie Housing']);
      await t.db.query(`UPDATE "case" SET status = 'resolved' WHERE id = $1`, [caseId]);
      await supervisor.waitFor('metrics:live', (s: LiveSnapshot) => s.totals.waiting === 0, 15_000);
      expect(agent.events('metrics:live')).toEqual([]);
    });

    it('sends nothing when the figures did not change, and the next change once', async () => {
      const supervisor = await connect(highwaysSupervisor);
      const push = t.get(SupervisorMetricsPush);
      await supervisor.waitFor('metrics:live'); // the first push: everything is new to a new socket
      await push.tick();
      supervisor.clear();
      await push.tick();
      await push.tick();
      await t.db.query(`UPDATE agent SET presence = 'available' WHERE id = $1`, [highwaysAgent.agent.id]);
      await push.tick();
      const changed: LiveSnapshot = await supervisor.waitFor('metrics:live');
      expect(changed.totals.agentsByPresence.available).toBe(1);
      await push.tick();
      await connect(highwaysSupervisor).then((other) => other.waitFor('metrics:live')); // a later socket's first push has gone out
      expect(supervisor.events('metrics:live')).toHaveLength(1);
    });

    it('answers the metrics:live command with the caller’s snapshot; an agent is refused', async () => {
      const supervisor = await connect(housingSupervisor);
      const ack = await supervisor.send('metrics:live', {});
      expect(ack.ok).toBe(true);
      expect((ack as unknown as { snapshot: LiveSnapshot }).snapshot.departments.map((d) => d.slug)).toEqual(['housing']);
      const refused = await (await connect(housingAgent)).send('metrics:live', {});
      expect(refused).toMatchObject({ ok: false, error: { code: 'Forbidden' } });
    });
  });

  describe('GET /api/v1/metrics/live', () => {
    it('is scoped: a supervisor sees their departments, an admin every department', async () => {
      const mine = (await (await get('/api/v1/metrics/live', housingSupervisor)).json()) as LiveSnapshot;
      expect(mine.departments.map((d) => d.departmentId)).toEqual([departments.housing]);
      expect(mine.departments[0].answerTargetSeconds).toBe(240);
      const all = (await (await get('/api/v1/metrics/live', admin)).json()) as LiveSnapshot;
      expect(all.departments.map((d) => d.departmentId).sort()).toEqual(Object.values(departments).sort());
      expect(all.totals.waiting).toBeGreaterThanOrEqual(1); // the waste case
    });

    it('refuses agents (403) and strangers (401)', async () => {
      expect((await get('/api/v1/metrics/live', housingAgent)).status).toBe(403);
      expect((await get('/api/v1/metrics/live')).status).toBe(401);
    });
  });

  describe('GET /api/v1/metrics/history', () => {
    const day = new Date(Date.now() - 3_600_000).toISOString();
    const later = new Date(Date.now() + 3_600_000).toISOString();

    it('exports CSV with format=csv or Accept: text/csv', async () => {
      for (const [query, headers] of [
        [`from=${day}&to=${later}&bucket=hour&format=csv`, {}],
        [`from=${day}&to=${later}&bucket=hour`, { accept: 'text/csv' }],
      ] as const) {
        const res = await get(`/api/v1/metrics/history?${query}`, admin, headers);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/csv/);
        expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="metrics-hour-/);
        const [header, ...rows] = (await res.text()).trimEnd().split('\r\n');
        expect(header).toBe(
          'start,departmentId,channel,offered,answered,answeredWithinTarget,serviceLevel,averageSpeedOfAnswerSeconds,abandoned,abandonedUnder5s,resolved,firstResponseP50Seconds,firstResponseP90Seconds',
        );
        expect(rows.length).toBeGreaterThanOrEqual(2); // housing and waste
      }
    });

    it('scopes rows to the supervisor’s departments, and refuses another department (403)', async () => {
      const res = await get(`/api/v1/metrics/history?from=${day}&to=${later}&bucket=day`, housingSupervisor);
      const body = (await res.json()) as { rows: Array<{ departmentId: string }> };
      expect(new Set(body.rows.map((r) => r.departmentId))).toEqual(new Set([departments.housing]));
      const other = await get(`/api/v1/metrics/history?from=${day}&to=${later}&departmentId=${departments.waste}`, housingSupervisor);
      expect(other.status).toBe(403);
      expect(((await other.json()) as { error: { message: string } }).error.message).toContain('departmentId');
    });

    it.each([
      ['a bad bucket', `from=${day}&to=${later}&bucket=week`, 'bucket'],
      ['no from', `to=${later}`, 'from'],
      ['a from that is not a time', `from=yesterday&to=${later}`, 'from'],
      ['a to before from', `from=${later}&to=${day}`, 'to'],
      ['an impossible date', `from=2026-02-30T00:00:00Z&to=${later}`, 'from'],
      ['too long a range for 15-minute buckets', `from=2026-01-01&to=2026-03-01&bucket=15m`, 'to'],
      ['a departmentId that is not an id', `from=${day}&to=${later}&departmentId=housing`, 'departmentId'],
      ['an unknown format', `from=${day}&to=${later}&format=xml`, 'format'],
    ])('answers 400 naming the parameter for %s', async (_what, query, parameter) => {
      const res = await get(`/api/v1/metrics/history?${query}`, admin);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error).toMatchObject({ code: 'Validation' });
      expect(body.error.message).toContain(parameter);
    });
  });

  it('adds queue depth, oldest wait and service level per department to /metrics', async () => {
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(text).toContain('# TYPE hub_queue_oldest_wait_seconds gauge');
    expect(Number(/hub_queue_oldest_wait_seconds\{department="waste"\} (\S+)/.exec(text)?.[1])).toBeGreaterThan(0);
    expect(text).toContain('hub_queue_oldest_wait_seconds{department="highways"} 0');
    expect(text).toContain('hub_queue_depth{department="waste"} 1');
    expect(text).toContain('# TYPE hub_service_level_today_ratio gauge');
    expect(text).toContain('hub_service_level_today_ratio{department="waste"} 0');
    expect(text).not.toContain('hub_service_level_today_ratio{department="highways"}'); // nothing offered today
  });
});

describe('Supervisor metrics: two hub processes on Redis, and the embedded database', () => {
  it('pushes from the process that holds the supervisor’s socket, whichever process took the case', async () => {
    const env = { AUTH_SECRET: randomBytes(32).toString('hex'), REDIS_PREFIX: `hubtest:${randomBytes(4).toString('hex')}` };
    const a = await startTestApp({ redis: true, env });
    const b = await startTestApp({ redis: true, env, database: a.db }).catch(async (e) => {
      await a.close();
      throw e;
    });
    const clients: ConsoleClient[] = [];
    try {
      const supervisor = await givenAgent(b, { role: AgentRole.Supervisor, departments: ['highways'] });
      const agent = await givenAgent(b, { departments: ['highways'] });
      const inbox = (await givenApiInbox(a, { department: 'highways' })).token;
      clients.push(await connectConsole(b.url, { token: supervisor.token }), await connectConsole(a.url, { token: agent.token }));
      const res = await postApiMessage(a, inbox, { externalId: `m-${randomUUID()}`, from: { address: `r-${randomUUID()}` }, text: 'A pothole on Mill Lane' });
      expect(res.status).toBe(201);
      const pushed: LiveSnapshot = await clients[0].waitFor('metrics:live', (s: LiveSnapshot) => s.totals.waiting === 1, 15_000);
      expect(pushed.departments.map((d) => d.slug)).toEqual(['highways']);
      expect(clients[1].events('metrics:live')).toEqual([]);
    } finally {
      for (const c of clients) c.close();
      await b.close();
      await a.close();
    }
  });

  it('serves the live snapshot and the history on the embedded database (PGlite)', async () => {
    const e = await startTestApp({ embedded: true });
    try {
      const admin = await givenAgent(e, { role: AgentRole.Admin });
      const inbox = (await givenApiInbox(e, { department: 'waste' })).token;
      expect((await postApiMessage(e, inbox, { externalId: 'e-1', from: { address: 'r-1' }, text: 'My bin was missed' })).status).toBe(201);
      const live = await fetch(`${e.url}/api/v1/metrics/live`, { headers: { authorization: `Bearer ${admin.token}` } });
      expect(live.status).toBe(200);
      const snapshot = (await live.json()) as LiveSnapshot;
      expect(snapshot.totals).toMatchObject({ waiting: 1, offeredToday: 1, answeredToday: 0, serviceLevel: 0 });
      const from = new Date(Date.now() - 86_400_000).toISOString();
      const history = await fetch(`${e.url}/api/v1/metrics/history?from=${from}&to=${new Date(Date.now() + 60_000).toISOString()}&bucket=15m`, {
        headers: { authorization: `Bearer ${admin.token}` },
      });
      expect(history.status).toBe(200);
      expect(((await history.json()) as { rows: Array<{ offered: number }> }).rows).toMatchObject([{ offered: 1 }]);
    } finally {
      await e.close();
    }
  });
});
