import { EventEmitter2 } from '@nestjs/event-emitter';
import { AgentRole } from '../src/common/enum';
import { startTestApp, TestApp } from './support/app';
import { givenAgent, givenApiInbox, postApiMessage } from './support/given';

const SOME_UUID = '00000000-0000-4000-8000-000000000000';

/** A cursor in the API's format whose content the API never gave out. */
function craftedCursor(key: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

interface Res {
  status: number;
  body: any;
}

describe('staff REST API (e2e)', () => {
  let t: TestApp;
  let admin: string;
  const inboxTokens: Record<string, string> = {};
  const departmentIds: Record<string, string> = {};
  let seq = 0;

  async function api(token: string, method: string, path: string, body?: unknown): Promise<Res> {
    const res = await fetch(`${t.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  /** A resident writes through the API channel into the inbox of `department`; returns the case id. */
  async function residentWrites(department: string, opts: { address?: string; text?: string; receivedAt?: string } = {}): Promise<{ caseId: string; address: string }> {
    seq += 1;
    const address = opts.address ?? `resident-${seq}`;
    const res = await postApiMessage(t, inboxTokens[department], {
      externalId: `ext-${seq}`,
      from: { address, name: `Resident ${address}` },
      text: opts.text ?? `Hello, message ${seq}`,
    });
    expect([200, 201]).toContain(res.status);
    // The hub stamps a case with the time it received it; a test that needs another time says so in the database.
    if (opts.receivedAt) await t.db.query(`UPDATE "case" SET created_at = $2 WHERE id = $1`, [res.body.caseId, opts.receivedAt]);
    return { caseId: res.body.caseId as string, address };
  }

  async function listAll(token: string, query: string, limit = 100): Promise<any[]> {
    const items: any[] = [];
    let cursor: string | null = null;
    do {
      const res: Res = await api(token, 'GET', `/api/v1/cases?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status).toBe(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return items;
  }

  beforeAll(async () => {
    t = await startTestApp();
    for (const d of ['waste', 'housing', 'highways', 'council-tax', 'customer-services', 'adult-social-care']) {
      inboxTokens[d] = (await givenApiInbox(t, { department: d, name: `API ${d}` })).token;
    }
    for (const row of await t.db.query<{ id: string; slug: string }>(`SELECT id, slug FROM department`)) departmentIds[row.slug] = row.id;
    admin = (await givenAgent(t, { role: AgentRole.Admin })).token;
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('GET /api/v1/cases', () => {
    it('lists the queue in order: highest priority first, then oldest, then id', async () => {
      const normalOld = await residentWrites('highways', { receivedAt: '2026-01-01T09:00:00Z' });
      const urgentNew = await residentWrites('highways', { text: 'There is a gas leak in the street', receivedAt: '2026-01-01T11:00:00Z' });
      const normalNew = await residentWrites('highways', { receivedAt: '2026-01-01T10:00:00Z' });
      const urgentOld = await residentWrites('highways', { text: 'Exposed wires on the pavement', receivedAt: '2026-01-01T08:00:00Z' });
      const res = await api(admin, 'GET', '/api/v1/cases?department=highways');
      expect(res.status).toBe(200);
      expect(res.body.items.map((c: any) => c.id)).toEqual([urgentOld.caseId, urgentNew.caseId, normalOld.caseId, normalNew.caseId]);
      expect(res.body.items[0]).toMatchObject({ priority: 'urgent', status: 'new', channel: 'api', departmentId: departmentIds.highways, reference: expect.stringMatching(/^C-2026-\d{6}$/) });
      expect(res.body.nextCursor).toBeNull();
    });

    it('pages 25 cases by 10 with a cursor and sees each case exactly once, in queue order', async () => {
      const created: string[] = [];
      // Several cases share a timestamp, so the id must break ties for the cursor to be exact.
      for (let i = 0; i < 25; i++) created.push((await residentWrites('council-tax', { receivedAt: `2026-02-01T09:00:0${i % 3}Z` })).caseId);
      const pages: any[][] = [];
      let cursor: string | null = null;
      do {
        const res: Res = await api(admin, 'GET', `/api/v1/cases?department=council-tax&limit=10${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        pages.push(res.body.items);
        cursor = res.body.nextCursor;
      } while (cursor);
      expect(pages.map((p) => p.length)).toEqual([10, 10, 5]);
      const ids = pages.flat().map((c) => c.id);
      expect(new Set(ids).size).toBe(25);
      expect([...ids].sort()).toEqual([...created].sort());
      const all = await api(admin, 'GET', '/api/v1/cases?department=council-tax&limit=100');
      expect(all.body.items.map((c: any) => c.id)).toEqual(ids);
    });

    it('filters by status, channel, department and assignee (an id, "me" or "none")', async () => {
      const supervisor = await givenAgent(t, { role: AgentRole.Supervisor, departments: ['adult-social-care'] });
      const mine = await residentWrites('adult-social-care');
      const colleague = await residentWrites('adult-social-care');
      const unassigned = await residentWrites('adult-social-care');
      const other = await givenAgent(t, { departments: ['adult-social-care'] });
      await t.db.query(`UPDATE "case" SET assignee_id = $2, status = 'open' WHERE id = $1`, [mine.caseId, supervisor.agent.id]);
      await t.db.query(`UPDATE "case" SET assignee_id = $2, status = 'open' WHERE id = $1`, [colleague.caseId, other.agent.id]);
      const ids = async (query: string) => (await listAll(supervisor.token, query)).map((c) => c.id).sort();
      expect(await ids('assignee=me')).toEqual([mine.caseId]);
      expect(await ids(`assignee=${other.agent.id}`)).toEqual([colleague.caseId]);
      expect(await ids('assignee=none&department=adult-social-care')).toEqual([unassigned.caseId]);
      expect(await ids('status=open')).toEqual([mine.caseId, colleague.caseId].sort());
      expect(await ids('status=new,open&channel=api')).toEqual([mine.caseId, colleague.caseId, unassigned.caseId].sort());
      expect(await ids('channel=sms')).toEqual([]);
      expect(await ids(`department=${departmentIds['adult-social-care']}&status=new`)).toEqual([unassigned.caseId]);
    });

    it('shows agents and supervisors only their departments’ cases, admins all', async () => {
      const waste = await residentWrites('waste');
      const housing = await residentWrites('housing');
      const wasteAgent = await givenAgent(t, { role: AgentRole.Agent, departments: ['waste'] });
      const housingSupervisor = await givenAgent(t, { role: AgentRole.Supervisor, departments: ['housing'] });
      const seenBy = async (token: string) => new Set((await listAll(token, 'status=new')).map((c) => c.id));
      const agentSees = await seenBy(wasteAgent.token);
      expect(agentSees.has(waste.caseId)).toBe(true);
      expect(agentSees.has(housing.caseId)).toBe(false);
      expect([...agentSees].length).toBeGreaterThan(0);
      const supervisorSees = await seenBy(housingSupervisor.token);
      expect(supervisorSees.has(housing.caseId)).toBe(true);
      expect(supervisorSees.has(waste.caseId)).toBe(false);
      const adminSees = await seenBy(admin);
      expect(adminSees.has(waste.caseId) && adminSees.has(housing.caseId)).toBe(true);
      // Filtering on another department gives nothing rather than leaking its cases.
      expect((await api(wasteAgent.token, 'GET', '/api/v1/cases?department=housing')).body.items).toEqual([]);
    });

    it.each([
      ['limit over 100', 'limit=101', /limit/],
      ['limit not a number', 'limit=ten', /limit/],
      ['an unknown status', 'status=lost', /status/],
      ['an unknown channel', 'channel=pigeon', /channel/],
      ['a bad assignee', 'assignee=bob', /assignee/],
      ['an unknown department', 'department=parks', /department/],
      ['a cursor we never gave out', 'cursor=not-a-cursor', /cursor/],
      ['a cursor with a priority rank out of range', `cursor=${craftedCursor({ priorityRank: 99999, createdAt: '2026-11-27T16:26:34.136000Z', id: SOME_UUID })}`, /cursor/],
      ['a cursor with a huge priority rank', `cursor=${craftedCursor({ priorityRank: 1e300, createdAt: '2026-11-27T16:26:34.136000Z', id: SOME_UUID })}`, /cursor/],
      ['a cursor with an impossible date', `cursor=${craftedCursor({ priorityRank: 1, createdAt: '2026-99-99T99:99:99.000000Z', id: SOME_UUID })}`, /cursor/],
    ])('answers 400 JSON naming the field for %s', async (_, query, field) => {
      const res = await api(admin, 'GET', `/api/v1/cases?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('Validation');
      expect(res.body.error.message).toMatch(field);
    });

    it('answers 401 without a token', async () => {
      const res = await fetch(`${t.url}/api/v1/cases`);
      expect(res.status).toBe(401);
    });
  });

  describe('GET /api/v1/cases/:id', () => {
    it('gives the case, its messages oldest first, its resident with identities, and the resident’s other cases', async () => {
      const first = await residentWrites('customer-services', { address: 'detail-resident', text: 'First question' });
      await residentWrites('customer-services', { address: 'detail-resident', text: 'A follow-up' });
      const elsewhere = await residentWrites('waste', { address: 'detail-resident', text: 'Another matter' });
      const res = await api(admin, 'GET', `/api/v1/cases/${first.caseId}`);
      expect(res.status).toBe(200);
      expect(res.body.case).toMatchObject({ id: first.caseId, departmentId: departmentIds['customer-services'], residentName: 'Resident detail-resident' });
      expect(res.body.messages.map((m: any) => [m.direction, m.text])).toEqual([
        ['inbound', 'First question'],
        ['inbound', 'A follow-up'],
      ]);
      expect(res.body.resident.identities).toEqual([expect.objectContaining({ channel: 'api', address: 'detail-resident' })]);
      expect(res.body.resident.id).toBe(res.body.case.residentId);
      expect(res.body.otherCases.map((c: any) => c.id)).toEqual([elsewhere.caseId]);
    });

    it('hides other departments’ cases from an agent, also among the resident’s other cases', async () => {
      const mine = await residentWrites('waste', { address: 'scoped-resident' });
      const theirs = await residentWrites('housing', { address: 'scoped-resident' });
      const { token } = await givenAgent(t, { departments: ['waste'] });
      const ok = await api(token, 'GET', `/api/v1/cases/${mine.caseId}`);
      expect(ok.status).toBe(200);
      expect(ok.body.otherCases).toEqual([]);
      const hidden = await api(token, 'GET', `/api/v1/cases/${theirs.caseId}`);
      expect(hidden.status).toBe(404);
      expect(hidden.body.error.code).toBe('NotFound');
    });

    it('answers 404 JSON for an unknown id, uuid or not', async () => {
      for (const id of ['6f1c1a1e-9d8b-4c3a-8a77-000000000000', 'not-a-case']) {
        const res = await api(admin, 'GET', `/api/v1/cases/${id}`);
        expect(res.status).toBe(404);
        expect(res.body.error).toMatchObject({ code: 'NotFound', message: expect.stringContaining(id) });
      }
    });
  });

  describe('GET /api/v1/residents/:id', () => {
    it('gives the resident, identities and visible cases', async () => {
      const { caseId } = await residentWrites('waste', { address: 'profile-resident' });
      const [{ resident_id }] = await t.db.query<{ resident_id: string }>(`SELECT resident_id FROM "case" WHERE id = $1`, [caseId]);
      const res = await api(admin, 'GET', `/api/v1/residents/${resident_id}`);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: resident_id, mergedIntoId: null, identities: [expect.objectContaining({ address: 'profile-resident' })] });
      expect(res.body.cases.map((c: any) => c.id)).toEqual([caseId]);
    });

    it('answers 404 for an unknown resident and for one outside the agent’s departments', async () => {
      expect((await api(admin, 'GET', '/api/v1/residents/6f1c1a1e-9d8b-4c3a-8a77-000000000000')).status).toBe(404);
      const { caseId } = await residentWrites('housing', { address: 'housing-only-resident' });
      const [{ resident_id }] = await t.db.query<{ resident_id: string }>(`SELECT resident_id FROM "case" WHERE id = $1`, [caseId]);
      const { token } = await givenAgent(t, { departments: ['waste'] });
      expect((await api(token, 'GET', `/api/v1/residents/${resident_id}`)).status).toBe(404);
    });
  });

  describe('POST /api/v1/residents/:id/merge', () => {
    async function residentWithCase(address: string, department = 'waste') {
      const { caseId } = await residentWrites(department, { address });
      const [{ resident_id }] = await t.db.query<{ resident_id: string }>(`SELECT resident_id FROM "case" WHERE id = $1`, [caseId]);
      return { residentId: resident_id, caseId };
    }

    it('moves the other resident’s identities and cases here in one go, marks it merged, audits and emits resident.merged', async () => {
      const keep = await residentWithCase('merge-keep');
      const fold = await residentWithCase('merge-fold');
      const events: unknown[] = [];
      t.get(EventEmitter2).on('resident.merged', (e: unknown) => events.push(e));
      const supervisor = await givenAgent(t, { role: AgentRole.Supervisor, departments: ['waste'] });
      const res = await api(supervisor.token, 'POST', `/api/v1/residents/${keep.residentId}/merge`, { residentId: fold.residentId });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ mergedResidentId: fold.residentId, identitiesMoved: 1, casesMoved: 1 });
      expect(res.body.resident.identities.map((i: any) => i.address).sort()).toEqual(['merge-fold', 'merge-keep']);
      const cases = await t.db.query(`SELECT id, resident_id FROM "case" WHERE id = ANY($1::uuid[])`, [[keep.caseId, fold.caseId]]);
      expect(cases.every((c) => c.resident_id === keep.residentId)).toBe(true);
      const [folded] = await t.db.query(`SELECT merged_into_id FROM resident WHERE id = $1`, [fold.residentId]);
      expect(folded.merged_into_id).toBe(keep.residentId);
      const [audit] = await t.db.query(`SELECT actor_id, details FROM audit_entry WHERE action = 'resident.merge' AND subject_id = $1`, [keep.residentId]);
      expect(audit).toMatchObject({ actor_id: supervisor.agent.id, details: { mergedResidentId: fold.residentId, identitiesMoved: 1, casesMoved: 1 } });
      await new Promise((r) => setTimeout(r, 50));
      expect(events).toEqual([{ residentId: keep.residentId, mergedResidentId: fold.residentId }]);
      // The next message from the folded address lands on the kept resident.
      const again = await residentWrites('housing', { address: 'merge-fold' });
      const [row] = await t.db.query(`SELECT resident_id FROM "case" WHERE id = $1`, [again.caseId]);
      expect(row.resident_id).toBe(keep.residentId);
    });

    it('refuses merging a resident into itself with 400 naming residentId', async () => {
      const one = await residentWithCase('merge-self');
      const res = await api(admin, 'POST', `/api/v1/residents/${one.residentId}/merge`, { residentId: one.residentId });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/residentId/);
    });

    it('refuses an already merged resident with 409 and changes nothing', async () => {
      const a = await residentWithCase('merge-a');
      const b = await residentWithCase('merge-b');
      const c = await residentWithCase('merge-c');
      expect((await api(admin, 'POST', `/api/v1/residents/${a.residentId}/merge`, { residentId: b.residentId })).status).toBe(200);
      const intoMerged = await api(admin, 'POST', `/api/v1/residents/${b.residentId}/merge`, { residentId: c.residentId });
      expect(intoMerged.status).toBe(409);
      expect(intoMerged.body.error.code).toBe('Conflict');
      const fromMerged = await api(admin, 'POST', `/api/v1/residents/${c.residentId}/merge`, { residentId: b.residentId });
      expect(fromMerged.status).toBe(409);
      const [row] = await t.db.query(`SELECT resident_id FROM "case" WHERE id = $1`, [c.caseId]);
      expect(row.resident_id).toBe(c.residentId);
    });

    it('answers 400 naming residentId when it is missing or not an id', async () => {
      const one = await residentWithCase('merge-bad-input');
      for (const body of [{}, { residentId: 'someone' }]) {
        const res = await api(admin, 'POST', `/api/v1/residents/${one.residentId}/merge`, body);
        expect(res.status).toBe(400);
        expect(res.body.error).toMatchObject({ code: 'Validation', message: expect.stringMatching(/residentId/) });
      }
    });

    it('answers 403 to an agent and 404 for an unknown resident', async () => {
      const a = await residentWithCase('merge-agent-a');
      const b = await residentWithCase('merge-agent-b');
      const { token } = await givenAgent(t, { departments: ['waste'] });
      expect((await api(token, 'POST', `/api/v1/residents/${a.residentId}/merge`, { residentId: b.residentId })).status).toBe(403);
      const unknown = await api(admin, 'POST', `/api/v1/residents/${a.residentId}/merge`, { residentId: '6f1c1a1e-9d8b-4c3a-8a77-000000000000' });
      expect(unknown.status).toBe(404);
    });
  });

  describe('GET /api/v1/departments and /api/v1/services', () => {
    it('lists the catalogue for any signed-in staff member', async () => {
      const { token } = await givenAgent(t);
      const departments = await api(token, 'GET', '/api/v1/departments');
      expect(departments.status).toBe(200);
      expect(departments.body.map((d: any) => d.slug)).toEqual(expect.arrayContaining(['waste', 'housing', 'customer-services']));
      const services = await api(token, 'GET', '/api/v1/services');
      expect(services.status).toBe(200);
      expect(services.body).toEqual(expect.arrayContaining([expect.objectContaining({ lgsl: 524, departmentId: departmentIds.waste })]));
    });
  });

  describe('GET /api/v1/inboxes', () => {
    it('lists inboxes for admins without any token or secret', async () => {
      const res = await api(admin, 'GET', '/api/v1/inboxes');
      expect(res.status).toBe(200);
      expect(res.body.length).toBeGreaterThanOrEqual(6);
      const [row] = await t.db.query<{ secret: string }>(`SELECT secret FROM inbox LIMIT 1`);
      const text = JSON.stringify(res.body);
      expect(text).not.toContain(row.secret);
      expect(text).not.toMatch(/secret|token/i);
      expect(text).not.toContain(inboxTokens.waste);
    });

    it('answers 403 to an agent', async () => {
      const { token } = await givenAgent(t);
      expect((await api(token, 'GET', '/api/v1/inboxes')).status).toBe(403);
    });
  });

  describe('GET /api/v1/messages/failed and POST /api/v1/messages/:id/retry', () => {
    async function failedReplyOn(caseId: string, reason: string): Promise<string> {
      const [row] = await t.db.query<{ id: string }>(
        `INSERT INTO message (case_id, direction, channel, text, delivery_status, delivery_reason, attempts)
         VALUES ($1, 'outbound', 'api', 'Our reply', 'failed', $2, 5) RETURNING id`,
        [caseId, reason],
      );
      return row.id;
    }

    it('pages the failed replies on the supervisor’s departments, newest first', async () => {
      const supervisor = await givenAgent(t, { role: AgentRole.Supervisor, departments: ['highways'] });
      const highways = await residentWrites('highways');
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await failedReplyOn(highways.caseId, `refused ${i}`));
      const hidden = await failedReplyOn((await residentWrites('housing')).caseId, 'not yours');
      const first = await api(supervisor.token, 'GET', '/api/v1/messages/failed?limit=2');
      expect(first.status).toBe(200);
      expect(first.body.items).toHaveLength(2);
      const second = await api(supervisor.token, 'GET', `/api/v1/messages/failed?limit=2&cursor=${first.body.nextCursor}`);
      expect(second.body.nextCursor).toBeNull();
      const seen = [...first.body.items, ...second.body.items];
      expect(seen.map((m: any) => m.id)).toEqual([...ids].reverse());
      expect(seen.map((m: any) => m.id)).not.toContain(hidden);
      expect(seen[0]).toMatchObject({ caseId: highways.caseId, reason: expect.stringMatching(/^refused/), attempts: 5, caseReference: expect.any(String) });
    });

    it('answers 400 JSON naming the cursor for a cursor with an impossible date', async () => {
      const cursor = craftedCursor({ updatedAt: '2026-13-45T16:26:34.136000Z', id: SOME_UUID });
      const res = await api(admin, 'GET', `/api/v1/messages/failed?cursor=${cursor}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('Validation');
      expect(res.body.error.message).toMatch(/cursor/);
    });

    it('queues a failed reply again for an agent of the case’s department, and audits it', async () => {
      const agent = await givenAgent(t, { departments: ['customer-services'] });
      const messageId = await failedReplyOn((await residentWrites('customer-services')).caseId, 'callback refused');
      const res = await api(agent.token, 'POST', `/api/v1/messages/${messageId}/retry`);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ id: messageId, deliveryStatus: 'queued', attempts: 0 });
      const audit = await t.db.query(`SELECT actor_id FROM audit_entry WHERE action = 'message.resend' AND subject_id = $1`, [messageId]);
      expect(audit).toEqual([{ actor_id: agent.agent.id }]);
    });

    it('answers 404 for a reply on another department’s case and 409 for a message that has not failed', async () => {
      const agent = await givenAgent(t, { departments: ['waste'] });
      const messageId = await failedReplyOn((await residentWrites('housing')).caseId, 'refused');
      const hidden = await api(agent.token, 'POST', `/api/v1/messages/${messageId}/retry`);
      expect(hidden.status).toBe(404);
      expect(hidden.body.error.message).toBe(`Message ${messageId} not found`); // not its case's id
      const { caseId } = await residentWrites('waste');
      const [inbound] = await t.db.query<{ id: string }>(`SELECT id FROM message WHERE case_id = $1`, [caseId]);
      const res = await api(agent.token, 'POST', `/api/v1/messages/${inbound.id}/retry`);
      expect(res.status).toBe(409);
      expect((await api(agent.token, 'POST', `/api/v1/messages/not-a-message/retry`)).status).toBe(404);
    });
  });

  describe('GET /api/docs/openapi.json', () => {
    it('documents the staff routes behind the staff-token bearer scheme', async () => {
      const doc = (await (await fetch(`${t.url}/api/docs/openapi.json`)).json()) as any;
      for (const [path, method] of [
        ['/api/v1/cases', 'get'],
        ['/api/v1/cases/{id}', 'get'],
        ['/api/v1/residents/{id}', 'get'],
        ['/api/v1/residents/{id}/merge', 'post'],
        ['/api/v1/departments', 'get'],
        ['/api/v1/services', 'get'],
        ['/api/v1/inboxes', 'get'],
        ['/api/v1/messages/failed', 'get'],
        ['/api/v1/messages/{id}/retry', 'post'],
        ['/api/v1/auth/me', 'get'],
      ]) {
        expect(doc.paths[path]?.[method]?.security).toEqual([{ 'staff-token': [] }]);
      }
      expect(doc.paths['/api/v1/auth/login'].post.requestBody).toBeDefined();
      expect(doc.paths['/api/v1/cases'].get.parameters.map((p: any) => p.name)).toEqual(expect.arrayContaining(['status', 'department', 'channel', 'assignee', 'cursor', 'limit']));
    });
  });
});
