import { randomBytes, randomUUID } from 'node:crypto';
import { CaseStatus } from '../src/common/enum';
import { DepartmentsService } from '../src/departments/departments.service';
import { AutoAssignService } from '../src/routing/auto-assign.service';
import { closeInstances, startTestApp, TestApp } from './support/app';
import { ConsoleClient, connectConsole } from './support/console-client';
import { eventually } from './support/eventually';
import { givenAgent, givenApiInbox, postApiMessage } from './support/given';

type Staff = Awaited<ReturnType<typeof givenAgent>>;

/**
 * Two app processes' worth of hub (two Nest apps on two ports) on one database and one Redis: socket.io's Redis
 * streams adapter carries pushes between them, BullMQ shares the jobs.
 */
describe('Console across two app instances (Redis streams adapter)', () => {
  let a: TestApp;
  let b: TestApp;
  let departments: Record<string, string>;
  const sockets: ConsoleClient[] = [];

  beforeAll(async () => {
    // What makes them one hub: the same database, Redis prefix and token secret.
    const env = { REDIS_PREFIX: `hubtest:fanout:${randomBytes(4).toString('hex')}`, AUTH_SECRET: randomBytes(32).toString('hex'), CONSOLE_OFFLINE_GRACE_MS: '0', AUTO_ASSIGN_SWEEP_MS: '1000' };
    a = await startTestApp({ redis: true, env });
    b = await startTestApp({ redis: true, env, database: a.db });
    departments = Object.fromEntries((await a.get(DepartmentsService).list()).map((d) => [d.slug, d.id]));
  });

  afterAll(() => closeInstances(sockets, [b, a]));

  async function connect(app: TestApp, who: Staff): Promise<ConsoleClient> {
    const client = await connectConsole(app.url, { token: who.token });
    sockets.push(client);
    await client.waitFor('hello');
    return client;
  }

  async function post(app: TestApp, inboxToken: string, text = 'Hello, I have a question about my account'): Promise<string> {
    const res = await postApiMessage(app, inboxToken, { externalId: `in-${randomUUID()}`, from: { address: `resident-${randomUUID()}` }, text });
    expect(res.status).toBe(201);
    return res.body.caseId as string;
  }

  it('pushes a message posted to instance A to an agent connected to instance B', async () => {
    const inbox = await givenApiInbox(a, { department: 'customer-services' });
    const agent = await givenAgent(b, { name: 'Bea on B' });
    const onB = await connect(b, agent);

    const caseId = await post(a, inbox.token);

    expect((await onB.waitFor('case:created', (p) => p.case.id === caseId)).case).toMatchObject({ status: 'new', departmentId: departments['customer-services'] });
    expect((await onB.waitFor('message:created', (p) => p.message.caseId === caseId)).message).toMatchObject({ direction: 'inbound', channel: 'api' });
  });

  it('gives a case raced for from both instances to one agent, and tells the other instance', async () => {
    const inbox = await givenApiInbox(b, { department: 'customer-services' });
    const [onA, onB] = [await connect(a, await givenAgent(a, { name: 'Ann on A' })), await connect(b, await givenAgent(b, { name: 'Ben on B' }))];
    const caseId = await post(b, inbox.token);

    const acks = await Promise.all([onA.send('case:claim', { caseId }), onB.send('case:claim', { caseId })]);

    expect(acks.filter((ack) => ack.ok)).toHaveLength(1);
    expect(acks.filter((ack) => !ack.ok).map((ack) => (ack as { error: { code: string } }).error.code)).toEqual(['Conflict']);
    const winner = acks.find((ack) => ack.ok) as any;
    await onA.waitFor('case:assigned', (p) => p.case.id === caseId && p.case.assignee.id === winner.case.assignee.id);
    await onB.waitFor('case:assigned', (p) => p.case.id === caseId && p.case.assignee.id === winner.case.assignee.id);
  });

  it('knows the viewers and typists of a case across instances', async () => {
    const inbox = await givenApiInbox(a, { department: 'customer-services' });
    const caseId = await post(a, inbox.token);
    const [onA, onB] = [await connect(a, await givenAgent(a, { name: 'Vera on A' })), await connect(b, await givenAgent(b, { name: 'Vic on B' }))];
    const names = (p: { viewers: Array<{ name: string }> }) => p.viewers.map((v) => v.name).sort().join(',');

    await onA.send('case:open', { caseId });
    await onB.send('case:open', { caseId });
    await onA.waitFor('case:viewers', (p) => p.caseId === caseId && names(p) === 'Vera on A,Vic on B');
    await onA.send('case:typing', { caseId, typing: true });

    expect(await onB.waitFor('case:typing', (p) => p.caseId === caseId)).toMatchObject({ agent: { name: 'Vera on A' }, typing: true });
    onA.close();
    await onB.waitFor('case:viewers', (p) => p.caseId === caseId && names(p) === 'Vic on B');
  });

  it('takes an agent offline only when their last socket, on either instance, is gone', async () => {
    const agent = await givenAgent(a, { name: 'Otto Offline' });
    const watcher = await connect(b, await givenAgent(b, { name: 'Walt Watcher' }));
    const [onA, onB] = [await connect(a, agent), await connect(b, agent)];
    await onA.send('agent:presence', { presence: 'available' });
    onA.close();
    // Still connected on B: its own command still works and sets what colleagues see.
    expect(await onB.send('agent:presence', { presence: 'away' })).toMatchObject({ ok: true, agent: { presence: 'away' } });
    await watcher.waitFor('presence:changed', (p) => p.agent.id === agent.agent.id && p.agent.presence === 'away');
    expect(watcher.events('presence:changed').filter((p) => p.agent.id === agent.agent.id).map((p) => p.agent.presence)).toEqual(['available', 'away']);

    onB.close();

    await watcher.waitFor('presence:changed', (p) => p.agent.id === agent.agent.id && p.agent.presence === 'offline');
    expect((await a.db.query(`SELECT presence FROM agent WHERE id = $1`, [agent.agent.id]))[0]).toEqual({ presence: 'offline' });
  });

  it('auto-assigns waiting cases round robin among available agents under capacity; a case waits until someone frees up', async () => {
    const housing = departments.housing;
    await a.get(AutoAssignService).setAutoAssign(housing, true);
    const inbox = await givenApiInbox(b, { department: 'housing' });
    const staff = await Promise.all(['Hana', 'Hugo', 'Hedy'].map((name) => givenAgent(a, { name, departments: ['housing'], capacity: 5 })));
    const clients = [await connect(a, staff[0]), await connect(b, staff[1]), await connect(b, staff[2])];
    for (const c of clients) expect(await c.send('agent:presence', { presence: 'available' })).toMatchObject({ ok: true });

    const cases: string[] = [];
    for (let i = 0; i < 6; i++) cases.push(await post(i % 2 ? a : b, inbox.token, `A question about my tenancy, number ${i}`));

    const owners = await eventually(async () => {
      const rows = await a.db.query<{ id: string; assignee_id: string | null }>(`SELECT id, assignee_id FROM "case" WHERE id = ANY($1::uuid[])`, [cases]);
      expect(rows.filter((r) => r.assignee_id)).toHaveLength(6);
      return rows;
    });
    const perAgent = staff.map((s) => owners.filter((r) => r.assignee_id === s.agent.id).length);
    expect(perAgent).toEqual([2, 2, 2]);
    for (const [i, c] of clients.entries()) {
      for (const row of owners.filter((r) => r.assignee_id === staff[i].agent.id)) {
        await c.waitFor('case:assigned', (p) => p.case.id === row.id && p.case.assignee.id === staff[i].agent.id);
        await c.waitFor('notification', (p) => p.kind === 'offer' && p.caseId === row.id);
      }
    }

    // Everyone at capacity: the next cases wait, oldest first, until someone resolves one.
    for (const c of clients) expect(await c.send('agent:capacity', { capacity: 2 })).toMatchObject({ ok: true });
    const older = await post(a, inbox.token, 'A question about my rent');
    const newer = await post(b, inbox.token, 'A question about my garden');
    await clients[0].waitFor('case:created', (p) => p.case.id === newer);
    const waiting = await a.db.query<{ id: string; status: string; assignee_id: string | null }>(`SELECT id, status, assignee_id FROM "case" WHERE id = ANY($1::uuid[]) ORDER BY created_at`, [
      [older, newer],
    ]);
    expect(waiting).toEqual([
      { id: older, status: CaseStatus.New, assignee_id: null },
      { id: newer, status: CaseStatus.New, assignee_id: null },
    ]);

    const hugosFirst = owners.find((r) => r.assignee_id === staff[1].agent.id)!.id;
    expect(await clients[1].send('case:status', { caseId: hugosFirst, status: 'resolved' })).toMatchObject({ ok: true });

    await clients[1].waitFor('case:assigned', (p) => p.case.id === older && p.case.assignee.id === staff[1].agent.id);
    expect((await a.db.query(`SELECT assignee_id FROM "case" WHERE id = $1`, [newer]))[0]).toEqual({ assignee_id: null });
  });
});
