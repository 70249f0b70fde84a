import { randomUUID } from 'node:crypto';
import { AgentRole } from '../src/common/enum';
import { DepartmentsService } from '../src/departments/departments.service';
import { startTestApp, TestApp } from './support/app';
import { ConsoleClient, connectConsole } from './support/console-client';
import { givenAgent, givenApiInbox, givenCase } from './support/given';

type Staff = Awaited<ReturnType<typeof givenAgent>>;

/**
 * Who a case can go to (`case:colleagues`, the transfer dialog's list), and sockets following an admin's change of an
 * agent's role, departments or active flag (PATCH /api/v1/agents/:id): the socket is told why and disconnected, and
 * connecting again gives the new rooms and rights; a deactivated agent cannot connect again.
 */
describe('Agent console: colleagues and changes of access', () => {
  let t: TestApp;
  let departments: Record<string, string>;
  let csInbox: string, wasteInbox: string;
  let admin: Staff, alice: Staff, bob: Staff, wendy: Staff;
  const sockets: ConsoleClient[] = [];

  beforeAll(async () => {
    t = await startTestApp({ env: { CONSOLE_OFFLINE_GRACE_MS: '0' } });
    departments = Object.fromEntries((await t.get(DepartmentsService).list()).map((d) => [d.slug, d.id]));
    csInbox = (await givenApiInbox(t, { department: 'customer-services' })).token;
    wasteInbox = (await givenApiInbox(t, { department: 'waste' })).token;
    [admin, alice, bob, wendy] = await Promise.all([
      givenAgent(t, { name: 'Ada Admin', role: AgentRole.Admin }),
      givenAgent(t, { name: 'Alice Archer', departments: ['customer-services'], capacity: 5 }),
      givenAgent(t, { name: 'Bob Builder', departments: ['customer-services'], capacity: 5 }),
      givenAgent(t, { name: 'Wendy Waste', departments: ['waste'] }),
    ]);
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await t.close();
  });

  async function connect(who: Staff): Promise<ConsoleClient> {
    const client = await connectConsole(t.url, { token: who.token });
    sockets.push(client);
    await client.waitFor('hello');
    return client;
  }

  function patchAgent(who: Staff, id: string, body: unknown): Promise<Response> {
    return fetch(`${t.url}/api/v1/agents/${id}`, { method: 'PATCH', headers: { 'content-type': 'application/json', authorization: `Bearer ${who.token}` }, body: JSON.stringify(body) });
  }

  describe('case:colleagues', () => {
    it('lists the active members of the case’s department with presence, capacity and load, available first', async () => {
      const a = await connect(alice);
      const b = await connect(bob);
      expect(await b.send('agent:presence', { presence: 'available' })).toMatchObject({ ok: true });
      expect(await a.send('agent:presence', { presence: 'away' })).toMatchObject({ ok: true });
      const caseId = await givenCase(t, csInbox);
      expect(await a.send('case:claim', { caseId })).toMatchObject({ ok: true });

      const ack = await a.send('case:colleagues', { caseId });
      expect(ack).toMatchObject({ ok: true, departmentId: departments['customer-services'] });
      if (!ack.ok) return;
      const names = ack.agents.map((x: { name: string }) => x.name);
      expect(names).toEqual(['Bob Builder', 'Alice Archer']); // members only: not Wendy (waste), not the admin
      expect(ack.agents[0]).toEqual({ id: bob.agent.id, name: 'Bob Builder', role: 'agent', presence: 'available', capacity: 5, load: 0 });
      expect(ack.agents[1]).toMatchObject({ id: alice.agent.id, presence: 'away', load: 1 });

      // The dialog's choice: transfer to Bob by name; he owns it now.
      const moved = await a.send('case:transfer', { caseId, agentId: bob.agent.id, note: 'Bob knows this resident' });
      expect(moved).toMatchObject({ ok: true, case: { assignee: { id: bob.agent.id, name: 'Bob Builder' } } });
    });

    it('lists another department’s members when asked (a transfer there), by id or slug', async () => {
      const a = await connect(alice);
      const caseId = await givenCase(t, csInbox);
      const bySlug = await a.send('case:colleagues', { caseId, departmentId: 'waste' });
      expect(bySlug).toMatchObject({ ok: true, departmentId: departments.waste, agents: [{ id: wendy.agent.id, name: 'Wendy Waste' }] });
      const byId = await a.send('case:colleagues', { caseId, departmentId: departments.waste });
      expect(byId).toMatchObject({ ok: true, departmentId: departments.waste });
    });

    it('answers NotFound for a case outside the agent’s departments, and Validation for a bad payload or department', async () => {
      const a = await connect(alice);
      const wasteCase = await givenCase(t, wasteInbox);
      expect(await a.send('case:colleagues', { caseId: wasteCase })).toMatchObject({ ok: false, error: { code: 'NotFound' } });
      expect(await a.send('case:colleagues', { caseId: 'not-a-case' })).toMatchObject({ ok: false, error: { code: 'Validation' } });
      const mine = await givenCase(t, csInbox);
      expect(await a.send('case:colleagues', { caseId: mine, departmentId: 'no-such-department' })).toMatchObject({ ok: false, error: { code: 'Validation' } });
    });
  });

  describe('PATCH /api/v1/agents/:id', () => {
    it('is for admins only and refuses bad changes with a 4xx naming the problem, changing nothing', async () => {
      expect((await patchAgent(alice, bob.agent.id, { role: 'admin' })).status).toBe(403);
      const badRole = await patchAgent(admin, bob.agent.id, { role: 'overlord' });
      expect(badRole.status).toBe(400);
      expect(JSON.stringify(await badRole.json())).toContain('role');
      const badDepartment = await patchAgent(admin, bob.agent.id, { departments: ['no-such-department'] });
      expect(badDepartment.status).toBe(400);
      const none = await patchAgent(admin, bob.agent.id, { departments: [] });
      expect(none.status).toBe(400);
      expect((await patchAgent(admin, randomUUID(), { role: 'agent' })).status).toBe(404);
      const [row] = await t.db.query<{ role: string }>(`SELECT role FROM agent WHERE id = $1`, [bob.agent.id]);
      expect(row.role).toBe('agent');
    });

    it('moves an agent to another department and role: the open socket is told and disconnected, and connects again with the new rooms and rights', async () => {
      const carol = await givenAgent(t, { name: 'Carol Change', departments: ['customer-services'] });
      const before = await connect(carol);
      const csCase = await givenCase(t, csInbox);
      await before.waitFor('case:created', (p) => p.case.id === csCase);
      const disconnected = new Promise<string>((resolve) => before.socket.once('disconnect', (reason) => resolve(reason)));

      const res = await patchAgent(admin, carol.agent.id, { role: 'supervisor', departments: ['waste'] });
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ role: 'supervisor', departmentIds: [departments.waste] });
      expect(await before.waitFor('session:changed')).toEqual({ reason: 'Your role or departments have changed' });
      expect(await disconnected).toBe('io server disconnect');

      // The page connects again with the same token: the handshake reads the new role and departments.
      const after = await connect(carol);
      expect(after.events('hello')[0]).toMatchObject({ agent: { role: 'supervisor', departmentIds: [departments.waste] }, departments: [{ slug: 'waste' }] });
      expect(await after.send('case:open', { caseId: csCase })).toMatchObject({ ok: false, error: { code: 'NotFound' } });
      const wasteCase = await givenCase(t, wasteInbox);
      await after.waitFor('case:created', (p) => p.case.id === wasteCase);
      const otherCs = await givenCase(t, csInbox);
      const later = await givenCase(t, wasteInbox);
      await after.waitFor('case:created', (p) => p.case.id === later);
      expect(after.events('case:created').map((p) => p.case.id)).not.toContain(otherCs);
      // Supervisor rights: taking a colleague's case over.
      expect(await connect(wendy).then((w) => w.send('case:claim', { caseId: wasteCase }))).toMatchObject({ ok: true });
      expect(await after.send('case:claim', { caseId: wasteCase, takeOver: true })).toMatchObject({ ok: true, case: { assignee: { id: carol.agent.id } } });
      const [audit] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM audit_entry WHERE action = 'agent.access-changed' AND subject_id = $1`, [carol.agent.id]);
      expect(audit.n).toBe(1);
    });

    it('deactivates an agent: the open socket is told and disconnected, and cannot connect again', async () => {
      const dave = await givenAgent(t, { name: 'Dave Leaving', departments: ['customer-services'] });
      const socket = await connect(dave);
      const disconnected = new Promise<string>((resolve) => socket.socket.once('disconnect', (reason) => resolve(reason)));
      expect((await patchAgent(admin, dave.agent.id, { active: false })).status).toBe(200);
      await socket.waitFor('session:changed');
      expect(await disconnected).toBe('io server disconnect');
      await expect(connectConsole(t.url, { token: dave.token })).rejects.toMatchObject({ message: 'Unauthorized' });
    });
  });
});
