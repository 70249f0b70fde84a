import { randomUUID } from 'node:crypto';
import { AgentRole, CaseStatus, DeliveryStatus } from '../src/common/enum';
import { ClaimNextQueue } from '../src/cases/claim-next.queue';
import { DepartmentsService } from '../src/departments/departments.service';
import { startTestApp, TestApp } from './support/app';
import { CallbackStandIn, startCallbackStandIn } from './support/callback-stand-in';
import { AckResult, ConsoleClient, connectConsole, openConsole } from './support/console-client';
import { eventually } from './support/eventually';
import { givenAgent, givenApiInbox, postApiMessage } from './support/given';

type Staff = Awaited<ReturnType<typeof givenAgent>>;

/**
 * The agent console over a real socket.io client, against the whole hub on loopback: once in one process (in-memory
 * socket.io adapter, in-process jobs), once with Redis (streams adapter, BullMQ).
 */
describe.each([
  ['in-process', false],
  ['with Redis', true],
])('Agent console: socket.io /console (%s)', (_mode, redis) => {
  let t: TestApp;
  let hook: CallbackStandIn;
  let departments: Record<string, string>;
  let inboxes: Record<string, string>;
  let alice: Staff, bob: Staff, wendy: Staff, sue: Staff, harry: Staff, carol: Staff;
  const sockets: ConsoleClient[] = [];

  beforeAll(async () => {
    t = await startTestApp({ redis, env: { CONSOLE_OFFLINE_GRACE_MS: '0', DELIVERY_MAX_ATTEMPTS: '2', DELIVERY_BACKOFF_MS: '50' } });
    hook = await startCallbackStandIn((req) => ({ status: 200, body: { id: `prov-${String(req.json.messageId)}` } }));
    departments = Object.fromEntries((await t.get(DepartmentsService).list()).map((d) => [d.slug, d.id]));
    const inbox = async (department: string) => (await givenApiInbox(t, { department, callbackUrl: hook.url })).token;
    inboxes = { cs: await inbox('customer-services'), waste: await inbox('waste'), highways: await inbox('highways'), tax: await inbox('council-tax') };
    [alice, bob, wendy, sue, harry, carol] = await Promise.all([
      givenAgent(t, { name: 'Alice Archer', departments: ['customer-services'], capacity: 10 }),
      givenAgent(t, { name: 'Bob Builder', departments: ['customer-services'], capacity: 10 }),
      givenAgent(t, { name: 'Wendy Waste', departments: ['waste'] }),
      givenAgent(t, { name: 'Sue Pervisor', role: AgentRole.Supervisor, departments: ['customer-services'] }),
      givenAgent(t, { name: 'Harry Highways', departments: ['highways'], capacity: 10 }),
      givenAgent(t, { name: 'Carol Counciltax', departments: ['council-tax'], capacity: 2 }),
    ]);
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await t.close();
    await hook.close();
  });

  async function connect(who: Staff): Promise<ConsoleClient> {
    const client = await connectConsole(t.url, { token: who.token });
    sockets.push(client);
    await client.waitFor('hello');
    return client;
  }

  /** A resident writes through the API channel: a new case in the inbox's department (neutral text: no triage move). */
  async function givenCase(inbox = inboxes.cs, text = 'Hello, I have a question about my account', name?: string): Promise<string> {
    const res = await postApiMessage(t, inbox, { externalId: `in-${randomUUID()}`, from: { address: `resident-${randomUUID()}`, name }, text });
    expect(res.status).toBe(201);
    return res.body.caseId as string;
  }

  async function caseRow(caseId: string) {
    const [row] = await t.db.query<{ status: string; assignee_id: string | null; department_id: string; priority: string; version: number }>(
      `SELECT status, assignee_id, department_id, priority, version FROM "case" WHERE id = $1`,
      [caseId],
    );
    return row;
  }

  function expectError(ack: AckResult, code: string): void {
    expect(ack).toMatchObject({ ok: false, error: { code, message: expect.any(String) } });
  }

  describe('connecting', () => {
    it('refuses a socket with no token, a bad token, or a session cookie from another site', async () => {
      for (const options of [{}, { token: 'not-a-token' }, { cookie: alice.cookie, origin: 'https://evil.example' }]) {
        const client = openConsole(t.url, options);
        const error = await new Promise<Error & { data?: unknown }>((resolve) => client.socket.once('connect_error', resolve));
        expect(error.message).toBe('Unauthorized');
        expect(client.socket.connected).toBe(false);
        client.close();
      }
    });

    it('accepts the session cookie from our own pages, and says hello with the agent, their departments and a cursor', async () => {
      const client = await connectConsole(t.url, { cookie: alice.cookie, origin: t.url });
      sockets.push(client);
      const hello = await client.waitFor('hello');
      expect(hello).toEqual({
        agent: { id: alice.agent.id, name: 'Alice Archer', email: alice.agent.email, role: 'agent', presence: expect.any(String), capacity: 10, departmentIds: [departments['customer-services']] },
        departments: [{ id: departments['customer-services'], slug: 'customer-services', name: 'Customer Services' }],
        serverTime: expect.any(String),
        cursor: expect.any(String),
      });
      client.close();
    });

    it('answers a bad payload with Validation and keeps the socket up', async () => {
      const client = await connect(alice);
      expectError(await client.send('case:status', { caseId: randomUUID(), status: 'bogus' }), 'Validation');
      expectError(await client.send('case:claim', { caseId: 'not-a-uuid' }), 'Validation');
      expect(await client.send('queue:list', {})).toMatchObject({ ok: true, cases: expect.any(Array), cursor: expect.any(String) });
      expect(client.socket.connected).toBe(true);
    });

    it('answers a command no one handles at once, and still runs the supervisor gateway’s commands on the same socket', async () => {
      const client = await connect(alice);
      expect(await client.send('case:claim-nxet', {})).toEqual({ ok: false, error: { code: 'Validation', message: 'Unknown command: case:claim-nxet' } });
      const sup = await connect(sue);
      expect(await sup.send('metrics:live', {})).toMatchObject({ ok: true, snapshot: expect.any(Object) });
      expect(await sup.send('queue:list', {})).toMatchObject({ ok: true });
      expect(sup.socket.connected && client.socket.connected).toBe(true);
    });
  });

  describe('department scoping', () => {
    it('answers NotFound to an agent of another department for every command on the case', async () => {
      const caseId = await givenCase();
      const w = await connect(wendy);
      for (const [event, payload] of [
        ['case:open', { caseId }],
        ['case:claim', { caseId }],
        ['case:reply', { caseId, text: 'Not mine' }],
        ['case:note', { caseId, text: 'Not mine' }],
        ['case:release', { caseId }],
        ['case:transfer', { caseId, departmentId: departments.waste }],
        ['case:status', { caseId, status: 'resolved' }],
        ['case:priority', { caseId, priority: 'urgent' }],
        ['case:canned', { caseId, cannedId: 'greeting' }],
        ['case:typing', { caseId, typing: true }],
      ] as const) {
        expectError(await w.send(event, payload), 'NotFound');
      }
      expectError(await w.send('case:claim-next', { departmentId: departments['customer-services'] }), 'NotFound');
      expect(await caseRow(caseId)).toMatchObject({ status: 'new', assignee_id: null });
      expect(await t.db.query(`SELECT id FROM message WHERE case_id = $1 AND direction <> 'inbound'`, [caseId])).toEqual([]);
    });

    it('never pushes another department’s cases or messages to an agent', async () => {
      const a = await connect(alice);
      const w = await connect(wendy);
      const theirs = await givenCase(inboxes.cs);
      await a.waitFor('message:created', (p) => p.message.caseId === theirs);
      const mine = await givenCase(inboxes.waste);
      // Pushes reach a socket in the order they were sent: Wendy's own case arriving means the earlier one was not sent to her.
      await w.waitFor('message:created', (p) => p.message.caseId === mine);
      expect(w.received.filter((r) => JSON.stringify(r.payload).includes(theirs))).toEqual([]);
      expect(w.events('case:created').map((p) => p.case.id)).toContain(mine);
    });
  });

  describe('claiming', () => {
    it('claim-next serves the highest priority first, then the oldest, within the agent’s departments', async () => {
      const h = await connect(harry);
      const first = await givenCase(inboxes.highways, 'A question about the road');
      const second = await givenCase(inboxes.highways, 'Another question about the verge');
      const urgent = await givenCase(inboxes.highways, 'There is a gas leak by the road');
      const raised = await givenCase(inboxes.highways, 'A question about the kerb');
      const admin = await givenAgent(t, { role: AgentRole.Admin });
      const adminSocket = await connect(admin);
      expect(await adminSocket.send('case:priority', { caseId: raised, priority: 'high' })).toMatchObject({ ok: true, case: { priority: 'high' } });

      const claimed: string[] = [];
      for (let i = 0; i < 4; i++) {
        const ack = await h.send('case:claim-next', {});
        expect(ack).toMatchObject({ ok: true, case: { status: 'open', assignee: { id: harry.agent.id, name: 'Harry Highways' } } });
        claimed.push((ack as any).case.id);
      }

      expect(claimed).toEqual([urgent, raised, first, second]);
      const nothing = await h.send('case:claim-next', {});
      expectError(nothing, 'Conflict');
      expect(nothing).toMatchObject({ error: { details: { reason: 'nothing waiting' } } });
    });

    it('claim-next refuses an agent at capacity (open and pending cases count) until one is resolved or capacity is raised', async () => {
      const c = await connect(carol);
      const [one, , three] = [await givenCase(inboxes.tax), await givenCase(inboxes.tax), await givenCase(inboxes.tax)];
      expect(await c.send('case:claim-next', {})).toMatchObject({ ok: true, case: { id: one } });
      const second = await c.send('case:claim-next', {});
      expect(second).toMatchObject({ ok: true });
      expect(await c.send('case:status', { caseId: (second as any).case.id, status: 'pending' })).toMatchObject({ ok: true, case: { status: 'pending' } });

      const refused = await c.send('case:claim-next', {});
      expectError(refused, 'Conflict');
      expect(refused).toMatchObject({ error: { details: { reason: 'at capacity', load: 2, capacity: 2 } } });
      expect(await caseRow(three)).toMatchObject({ status: 'new', assignee_id: null });

      expect(await c.send('case:status', { caseId: one, status: 'resolved' })).toMatchObject({ ok: true, case: { status: 'resolved' } });
      expect(await c.send('case:claim-next', {})).toMatchObject({ ok: true, case: { id: three } });
      expectError(await c.send('case:claim-next', {}), 'Conflict');
      expect(await c.send('agent:capacity', { capacity: 3 })).toMatchObject({ ok: true, agent: { capacity: 3 } });
      expectError(await c.send('agent:capacity', { capacity: 21 }), 'Validation');
    });

    it('never takes an agent past capacity, even when their claims arrive at once (two tabs, a double click)', async () => {
      const agent = await givenAgent(t, { name: 'Tess Twotabs', departments: ['council-tax'], capacity: 2 });
      const [tab1, tab2] = [await connect(agent), await connect(agent)];
      for (let i = 0; i < 4; i++) await givenCase(inboxes.tax);

      const acks = await Promise.all([tab1, tab2, tab1, tab2].map((tab) => tab.send('case:claim-next', {})));

      expect(acks.filter((a) => a.ok)).toHaveLength(2);
      expect(acks.filter((a) => !a.ok).map((a) => (a as any).error.details.reason)).toEqual(['at capacity', 'at capacity']);
      const [{ owned }] = await t.db.query<{ owned: number }>(`SELECT count(*)::int AS owned FROM "case" WHERE assignee_id = $1`, [agent.agent.id]);
      expect(owned).toBe(2);
    });

    it('does not refuse at capacity because the same agent’s other claim found nothing (two departments at once)', async () => {
      const agent = await givenAgent(t, { name: 'Dee Twodepts', departments: ['council-tax'], capacity: 1 });
      const waiting = await givenCase(inboxes.tax);
      const [empty] = await t.db.query<{ id: string }>(
        `SELECT d.id FROM department d WHERE NOT EXISTS (SELECT 1 FROM "case" c WHERE c.department_id = d.id AND c.status = 'new') LIMIT 1`,
      );
      const [tax] = await t.db.query<{ department_id: string }>(`SELECT department_id FROM "case" WHERE id = $1`, [waiting]);
      const claims = t.get(ClaimNextQueue);
      // Both in one turn, so they go in one batch: the empty department's claim first.
      const [nothing, claimed] = await Promise.all([claims.claim(agent.agent.id, [empty.id]), claims.claim(agent.agent.id, [tax.department_id])]);
      expect(nothing).toEqual({ refused: 'nothing waiting' });
      expect(claimed).toMatchObject({ assignee_id: agent.agent.id, status: 'open', department_id: tax.department_id });
      expect(await caseRow((claimed as { id: string }).id)).toMatchObject({ assignee_id: agent.agent.id });
    });

    it('claims a named case once: someone else’s is a Conflict, an agent may not take over, a supervisor may', async () => {
      const caseId = await givenCase();
      const [a, b, s] = [await connect(alice), await connect(bob), await connect(sue)];

      expect(await a.send('case:claim', { caseId })).toMatchObject({ ok: true, case: { id: caseId, status: 'open', assignee: { id: alice.agent.id } } });
      expect(await a.send('case:claim', { caseId })).toMatchObject({ ok: true, case: { assignee: { id: alice.agent.id } } });
      const taken = await b.send('case:claim', { caseId });
      expectError(taken, 'Conflict');
      expect((taken as any).error.message).toContain('Alice Archer');
      expectError(await b.send('case:claim', { caseId, takeOver: true }), 'Forbidden');
      await b.waitFor('case:assigned', (p) => p.case.id === caseId && p.case.assignee?.id === alice.agent.id);

      const takeover = await s.send('case:claim', { caseId, takeOver: true });
      expect(takeover).toMatchObject({ ok: true, case: { assignee: { id: sue.agent.id, name: 'Sue Pervisor' } } });
      // The one who lost it hears of it in their own room, as does the department.
      await a.waitFor('case:updated', (p) => p.case.id === caseId && p.case.assignee?.id === sue.agent.id);
      await b.waitFor('case:assigned', (p) => p.case.id === caseId && p.case.assignee?.id === sue.agent.id);
      await s.waitFor('case:assigned', (p) => p.case.id === caseId && p.case.assignee?.id === sue.agent.id);
      expect(await caseRow(caseId)).toMatchObject({ assignee_id: sue.agent.id, status: 'open' });
      const audit = await t.db.query<{ action: string }>(`SELECT action FROM audit_entry WHERE subject_id = $1 ORDER BY id`, [caseId]);
      expect(audit.map((e) => e.action)).toEqual(['case.claimed', 'case.taken-over']);
    });

    it('releases a case back to the queue as new; only its owner or a supervisor may', async () => {
      const caseId = await givenCase();
      const [a, b] = [await connect(alice), await connect(bob)];
      await a.send('case:claim', { caseId });
      expectError(await b.send('case:release', { caseId }), 'Forbidden');

      const released = await a.send('case:release', { caseId });

      expect(released).toMatchObject({ ok: true, case: { id: caseId, status: 'new', assignee: null } });
      const pushed = await b.waitFor('case:updated', (p) => p.case.id === caseId && p.case.assignee === null);
      expect(pushed.case.version).toBe((released as any).case.version);
      expectError(await a.send('case:release', { caseId }), 'Conflict');
    });
  });

  describe('transfer, status and priority', () => {
    it('transfers to another department: a system message and an audit entry record who, from and to; both departments hear of it', async () => {
      const caseId = await givenCase();
      const [a, b, w] = [await connect(alice), await connect(bob), await connect(wendy)];
      await a.send('case:claim', { caseId });
      await a.send('case:open', { caseId });

      const moved = await a.send('case:transfer', { caseId, departmentId: departments.waste, note: 'About a bin' });

      expect(moved).toMatchObject({ ok: true, case: { departmentId: departments.waste, assignee: null, status: 'new' } });
      await w.waitFor('case:updated', (p) => p.case.id === caseId && p.case.departmentId === departments.waste);
      await b.waitFor('case:updated', (p) => p.case.id === caseId && p.case.departmentId === departments.waste);
      const [system] = await t.db.query<{ text: string; author_agent_id: string }>(`SELECT text, author_agent_id FROM message WHERE case_id = $1 AND direction = 'system'`, [caseId]);
      expect(system).toEqual({ text: 'Transferred by Alice Archer from Customer Services (Alice Archer) to Waste and Recycling (queue): About a bin', author_agent_id: alice.agent.id });
      const [audit] = await t.db.query<{ details: any }>(`SELECT details FROM audit_entry WHERE subject_id = $1 AND action = 'case.transferred'`, [caseId]);
      expect(audit.details).toEqual({
        from: { departmentId: departments['customer-services'], assigneeId: alice.agent.id },
        to: { departmentId: departments.waste, assigneeId: null },
        note: 'About a bin',
      });
      // Out of her departments now: Alice no longer sees it.
      expectError(await a.send('case:open', { caseId }), 'NotFound');
      expect(await w.send('case:claim', { caseId })).toMatchObject({ ok: true, case: { assignee: { id: wendy.agent.id } } });
    });

    it('transfers to an agent of the department, who hears it as case:assigned; an agent outside it is refused', async () => {
      const caseId = await givenCase();
      const [s, b] = [await connect(sue), await connect(bob)];

      expectError(await s.send('case:transfer', { caseId, agentId: wendy.agent.id }), 'Validation');
      expectError(await s.send('case:transfer', { caseId }), 'Validation');
      const moved = await s.send('case:transfer', { caseId, agentId: bob.agent.id });

      expect(moved).toMatchObject({ ok: true, case: { assignee: { id: bob.agent.id }, status: 'open' } });
      await b.waitFor('case:assigned', (p) => p.case.id === caseId && p.case.assignee?.id === bob.agent.id);
    });

    it('moves status through the state machine, reopens a resolved case, and refuses what the machine does not allow', async () => {
      const caseId = await givenCase();
      const [a, b] = [await connect(alice), await connect(bob)];
      await a.send('case:claim', { caseId });

      for (const status of ['pending', 'resolved', 'open', 'closed']) {
        const ack = await a.send('case:status', { caseId, status });
        expect(ack).toMatchObject({ ok: true, case: { status } });
        await b.waitFor('case:updated', (p) => p.case.id === caseId && p.case.status === status && p.case.version === (ack as any).case.version);
      }
      expectError(await a.send('case:status', { caseId, status: 'open' }), 'InvalidTransition');
      // Claiming a closed case is refused, its owner's own claim included.
      expectError(await a.send('case:claim', { caseId }), 'InvalidTransition');
      expect(await caseRow(caseId)).toMatchObject({ status: CaseStatus.Closed });
    });

    it('sets priority (owner or supervisor); others are refused; the new version reaches the department', async () => {
      const caseId = await givenCase();
      const [a, b] = [await connect(alice), await connect(bob)];
      const claimed = await a.send('case:claim', { caseId });

      expectError(await b.send('case:priority', { caseId, priority: 'low' }), 'Forbidden');
      const raised = await a.send('case:priority', { caseId, priority: 'urgent' });

      expect(raised).toMatchObject({ ok: true, case: { priority: 'urgent' } });
      expect((raised as any).case.version).toBeGreaterThan((claimed as any).case.version);
      await b.waitFor('case:updated', (p) => p.case.id === caseId && p.case.priority === 'urgent');
      expectError(await a.send('case:priority', { caseId, priority: 'extreme' }), 'Validation');
    });
  });

  describe('replies and notes', () => {
    it('only the owner replies: others are Forbidden, a supervisor takes over first', async () => {
      const caseId = await givenCase();
      const [a, b, s] = [await connect(alice), await connect(bob), await connect(sue)];
      await a.send('case:claim', { caseId });

      expectError(await b.send('case:reply', { caseId, text: 'Me too' }), 'Forbidden');
      expectError(await s.send('case:reply', { caseId, text: 'Supervisor here' }), 'Forbidden');
      expect(await t.db.query(`SELECT id FROM message WHERE case_id = $1 AND direction = 'outbound'`, [caseId])).toEqual([]);

      await s.send('case:claim', { caseId, takeOver: true });
      expect(await s.send('case:reply', { caseId, text: 'Supervisor here' })).toMatchObject({ ok: true, message: { direction: 'outbound', author: { id: sue.agent.id } } });
      expectError(await a.send('case:reply', { caseId, text: 'Still me?' }), 'Forbidden');
    });

    it('a reply on an unowned case makes the replier its owner', async () => {
      const caseId = await givenCase();
      const b = await connect(bob);

      expect(await b.send('case:reply', { caseId, text: 'I can help with that' })).toMatchObject({ ok: true });

      expect(await caseRow(caseId)).toMatchObject({ assignee_id: bob.agent.id, status: 'open' });
      await b.waitFor('case:assigned', (p) => p.case.id === caseId && p.case.assignee?.id === bob.agent.id);
    });

    it('sends a reply through the delivery pipeline to the inbox’s callback; status events follow', async () => {
      const caseId = await givenCase();
      const [a, b] = [await connect(alice), await connect(bob)];
      await a.send('case:claim', { caseId });
      await a.send('case:open', { caseId });

      const ack = await a.send('case:reply', { caseId, text: '  We will call you back today.  ', clientId: 'draft-1' });

      expect(ack).toMatchObject({ ok: true, clientId: 'draft-1', message: { caseId, direction: 'outbound', channel: 'api', text: 'We will call you back today.', deliveryStatus: 'queued', author: { id: alice.agent.id, name: 'Alice Archer' } } });
      const messageId = (ack as any).message.id;
      await a.waitFor('message:status', (p) => p.messageId === messageId && p.status === DeliveryStatus.Sent);
      await b.waitFor('message:created', (p) => p.message.id === messageId);
      const received = await eventually(() => {
        const found = hook.requests.find((r) => r.json.messageId === messageId);
        if (!found) throw new Error('not delivered yet');
        return found;
      });
      expect(received.json.text).toBe('We will call you back today.');
      expect(received.headers['x-hub-signature-256']).toMatch(/^sha256=[0-9a-f]{64}$/);
    });

    it('re-sends a failed reply for real with message:retry', async () => {
      const caseId = await givenCase();
      const a = await connect(alice);
      await a.send('case:claim', { caseId });
      hook.respond(() => ({ status: 400, body: { error: 'refused' } }));
      const ack = await a.send('case:reply', { caseId, text: 'This one will fail first' });
      const messageId = (ack as any).message.id;
      await a.waitFor('message:status', (p) => p.messageId === messageId && p.status === DeliveryStatus.Failed);
      const attemptsBefore = hook.requests.filter((r) => r.json.messageId === messageId).length;
      hook.respond((req) => ({ status: 200, body: { id: `prov-${String(req.json.messageId)}` } }));

      expect(await a.send('message:retry', { messageId })).toMatchObject({ ok: true, message: { id: messageId, deliveryStatus: 'queued' } });

      await a.waitFor('message:status', (p) => p.messageId === messageId && p.status === DeliveryStatus.Sent);
      expect(hook.requests.filter((r) => r.json.messageId === messageId).length).toBe(attemptsBefore + 1);
      expectError(await a.send('message:retry', { messageId }), 'Conflict');
      const w = await connect(wendy);
      const hidden = await w.send('message:retry', { messageId });
      expectError(hidden, 'NotFound');
      expect(hidden).toMatchObject({ error: { message: `Message ${messageId} not found` } }); // not its case's id
    });

    it('notes with @mentions notify the agents named, and only them', async () => {
      const caseId = await givenCase();
      const [a, b, s] = [await connect(alice), await connect(bob), await connect(sue)];

      const ack = await a.send('case:note', { caseId, text: 'Can you check this, @Bob Builder? Thanks' });

      expect(ack).toMatchObject({ ok: true, message: { direction: 'note', text: 'Can you check this, @Bob Builder? Thanks' } });
      const note = await b.waitFor('notification', (p) => p.kind === 'mention' && p.caseId === caseId);
      expect(note.text).toContain('Alice Archer mentioned you');
      await a.send('case:note', { caseId, text: 'And @sue, nothing for you' });
      // Pushes about one case leave in order: the second note reaching Sue means any earlier mention of her did.
      await s.waitFor('message:created', (p) => p.message.caseId === caseId && p.message.text.startsWith('And @sue'));
      expect(s.events('notification').filter((p) => p.kind === 'mention' && p.caseId === caseId)).toEqual([]);
    });

    it('drops NUL characters from a command’s text (PostgreSQL cannot store them) instead of failing it', async () => {
      const caseId = await givenCase();
      const a = await connect(alice);
      const ack = await a.send('case:note', { caseId, text: 'Called the\u0000 resident' });
      expect(ack).toMatchObject({ ok: true, message: { direction: 'note', text: 'Called the resident' } });
    });

    it('lists canned replies for the agent’s departments and fills a canned reply’s placeholders for a case', async () => {
      const caseId = await givenCase(inboxes.cs, 'Hello there', 'Priya Patel');
      const a = await connect(alice);
      const [{ reference }] = await t.db.query<{ reference: string }>(`SELECT reference FROM "case" WHERE id = $1`, [caseId]);

      const list = await a.send('canned:list', {});
      expect(list).toMatchObject({ ok: true });
      const replies = (list as any).replies as Array<{ id: string; departmentId: string | null }>;
      expect(replies.map((r) => r.id)).toContain('greeting');
      expect(replies.every((r) => r.departmentId === null || r.departmentId === departments['customer-services'])).toBe(true);

      const canned = await a.send('case:canned', { caseId, cannedId: 'greeting' });

      expect(canned).toEqual({
        ok: true,
        text: `Hello Priya Patel, thank you for contacting the council. My name is Alice Archer and I am looking at your enquiry now (reference ${reference}).`,
      });
      expectError(await a.send('case:canned', { caseId, cannedId: 'missed-bin' }), 'NotFound');
    });
  });

  describe('who is viewing and typing', () => {
    it('tells a case’s viewers who views it, as they open and close it or drop', async () => {
      const caseId = await givenCase();
      const [a, b] = [await connect(alice), await connect(bob)];
      const names = (p: any) => p.viewers.map((v: { name: string }) => v.name).sort().join(',');

      const opened = await a.send('case:open', { caseId });
      expect(opened).toMatchObject({ ok: true, case: { id: caseId }, messages: [{ direction: 'inbound' }], otherCases: [], identities: [{ channel: 'api' }] });
      await a.waitFor('case:viewers', (p) => p.caseId === caseId && names(p) === 'Alice Archer');
      await b.send('case:open', { caseId });
      await a.waitFor('case:viewers', (p) => p.caseId === caseId && names(p) === 'Alice Archer,Bob Builder');
      await b.waitFor('case:viewers', (p) => p.caseId === caseId && names(p) === 'Alice Archer,Bob Builder');

      expect(await a.send('case:close-view', { caseId })).toEqual({ ok: true });
      await b.waitFor('case:viewers', (p) => p.caseId === caseId && names(p) === 'Bob Builder');
      await a.send('case:open', { caseId });
      await b.waitFor('case:viewers', (p) => p.caseId === caseId && names(p) === 'Alice Archer,Bob Builder');
      const seen = a.events('case:viewers').filter((p) => p.caseId === caseId).length;
      b.close();
      await a.waitFor('case:viewers', (p) => p.caseId === caseId && names(p) === 'Alice Archer' && a.events('case:viewers').filter((q) => q.caseId === caseId).indexOf(p) >= seen);
    });

    it('passes typing to the case’s other viewers, never back to the typist, at most once per interval', async () => {
      const caseId = await givenCase();
      const [a, b] = [await connect(alice), await connect(bob)];
      await a.send('case:open', { caseId });
      await b.send('case:open', { caseId });

      for (let i = 0; i < 3; i++) expect(await a.send('case:typing', { caseId, typing: true })).toEqual({ ok: true });
      await a.send('case:typing', { caseId, typing: false });
      await b.waitFor('case:typing', (p) => p.typing === false);
      await b.send('case:typing', { caseId, typing: true });
      // Bob's signal reaching Alice means anything sent to her before it has arrived.
      await a.waitFor('case:typing', (p) => p.agent.id === bob.agent.id);

      expect(b.events('case:typing')).toEqual([
        { caseId, agent: { id: alice.agent.id, name: 'Alice Archer' }, typing: true },
        { caseId, agent: { id: alice.agent.id, name: 'Alice Archer' }, typing: false },
      ]);
      expect(a.events('case:typing').filter((p) => p.agent.id === alice.agent.id)).toEqual([]);
    });
  });

  describe('presence', () => {
    it('persists presence and capacity on the agent row and tells the department', async () => {
      const [a, b] = [await connect(alice), await connect(bob)];

      expect(await a.send('agent:presence', { presence: 'busy' })).toMatchObject({ ok: true, agent: { id: alice.agent.id, presence: 'busy' } });

      const pushed = await b.waitFor('presence:changed', (p) => p.agent.id === alice.agent.id && p.agent.presence === 'busy');
      expect(pushed.agent).toEqual({ id: alice.agent.id, name: 'Alice Archer', presence: 'busy', capacity: 10, load: expect.any(Number) });
      expect((await t.db.query(`SELECT presence FROM agent WHERE id = $1`, [alice.agent.id]))[0]).toEqual({ presence: 'busy' });
      expectError(await a.send('agent:presence', { presence: 'asleep' }), 'Validation');
    });

    it('goes offline when the agent’s last socket disconnects', async () => {
      const agent = await givenAgent(t, { name: 'Olive Often', departments: ['customer-services'] });
      const [one, two, b] = [await connect(agent), await connect(agent), await connect(bob)];
      await one.send('agent:presence', { presence: 'available' });
      one.close();
      two.close();

      await b.waitFor('presence:changed', (p) => p.agent.id === agent.agent.id && p.agent.presence === 'offline');
      expect((await t.db.query(`SELECT presence FROM agent WHERE id = $1`, [agent.agent.id]))[0]).toEqual({ presence: 'offline' });
    });
  });

  describe('reconnecting', () => {
    it('re-syncs from the database from the last cursor: cases changed and messages of open cases', async () => {
      const openCase = await givenCase();
      const untouched = await givenCase();
      const a = await connect(alice);
      await a.send('case:open', { caseId: openCase });
      const cursors = a.received.map((r) => r.payload?.cursor).filter(Boolean);
      const last = cursors[cursors.length - 1] as string;
      a.close();
      await eventually(() => expect(a.socket.connected).toBe(false));

      // Meanwhile: the resident writes again, a colleague claims a case, a new case arrives.
      const [{ resident }] = await t.db.query<{ resident: string }>(
        `SELECT i.address AS resident FROM message m JOIN identity i ON i.id = m.identity_id WHERE m.case_id = $1`,
        [openCase],
      );
      await postApiMessage(t, inboxes.cs, { externalId: `in-${randomUUID()}`, from: { address: resident }, text: 'Any news?' });
      const claimedMeanwhile = await givenCase();
      const b = await connect(bob);
      await b.send('case:claim', { caseId: claimedMeanwhile });
      const fresh = await givenCase();
      await backdate(t, untouched);

      const again = await connect(alice);
      const sync = await again.send('sync', { since: last, caseIds: [openCase] });

      expect(sync).toMatchObject({ ok: true, reset: false, cursor: expect.any(String) });
      const cases = new Map((sync as any).cases.map((c: any) => [c.id, c]));
      expect(cases.get(claimedMeanwhile)).toMatchObject({ status: 'open', assignee: { id: bob.agent.id } });
      expect(cases.get(fresh)).toMatchObject({ status: 'new' });
      expect(cases.get(openCase)).toBeDefined();
      expect(cases.has(untouched)).toBe(false);
      expect((sync as any).messages.map((m: any) => [m.caseId, m.text])).toContainEqual([openCase, 'Any news?']);
      // The case's room is joined again: Alice is among its viewers.
      await again.waitFor('case:viewers', (p) => p.caseId === openCase && p.viewers.some((v: { id: string }) => v.id === alice.agent.id));
      expectError(await again.send('sync', { since: 'garbage' }), 'Validation');
      // A cursor in the right shape that names no real time (30 February, month 13, year 0) is refused the same way.
      for (const at of ['2026-02-30T10:00:00.000000Z', '2026-13-01T10:00:00.000000Z', '0000-01-01T00:00:00.000000Z']) {
        const since = Buffer.from(JSON.stringify({ at, id: '00000000-0000-0000-0000-000000000000' })).toString('base64url');
        const refused = await again.send('sync', { since });
        expectError(refused, 'Validation');
        expect(refused).toMatchObject({ error: { message: expect.stringMatching(/^since/) } });
      }
    });
  });
});

/**
 * Sync sends again what changed within an overlap before the cursor (transactions commit after they stamp
 * updated_at). For the "untouched" case not to come back, its last change must be older than the cursor by more
 * than that: this backdates it in the database rather than waiting.
 */
async function backdate(t: TestApp, caseId: string): Promise<void> {
  await t.db.query(`UPDATE "case" SET updated_at = updated_at - interval '1 minute' WHERE id = $1`, [caseId]);
}
