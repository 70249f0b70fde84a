import { randomUUID } from 'node:crypto';
import { CaseReplyService, STAFF_TEXT_MAX } from '../src/cases/case-reply.service';
import { CasesService } from '../src/cases/cases.service';
import { AgentRole, CaseStatus, DeliveryStatus } from '../src/common/enum';
import { Db } from '../src/database/db';
import { CARD_PLACEHOLDER } from '../src/intake/redaction';
import { startTestApp, TestApp } from './support/app';
import { CallbackStandIn, startCallbackStandIn } from './support/callback-stand-in';
import { eventually } from './support/eventually';
import { givenAgent, givenApiInbox, postApiMessage } from './support/given';

type Staff = Awaited<ReturnType<typeof givenAgent>>;

interface CaseState {
  status: CaseStatus;
  first_response_at: Date | null;
  version: number;
}

describe('Replies and notes: POST /api/v1/cases/:id/replies and /notes', () => {
  let t: TestApp;
  let hook: CallbackStandIn;
  let inboxToken: string;
  let agent: Staff;
  let wasteAgent: Staff;

  beforeAll(async () => {
    t = await startTestApp();
    hook = await startCallbackStandIn((req) => ({ status: 200, body: { id: `prov-${String(req.json.messageId)}` } }));
    inboxToken = (await givenApiInbox(t, { department: 'customer-services', callbackUrl: hook.url })).token;
    agent = await givenAgent(t, { role: AgentRole.Agent, departments: ['customer-services'] });
    wasteAgent = await givenAgent(t, { role: AgentRole.Agent, departments: ['waste'] });
  });
  afterAll(async () => {
    await t.close();
    await hook.close();
  });

  /** A resident's general question: a `new` case in Customer Services. */
  async function givenCase(): Promise<string> {
    const res = await postApiMessage(t, inboxToken, { externalId: `in-${randomUUID()}`, from: { address: `resident-${randomUUID()}` }, text: 'Hello, I have a general question.' });
    expect(res.status).toBe(201);
    return res.body.caseId as string;
  }

  async function post(path: string, token: string | undefined, body: unknown): Promise<{ status: number; body: Record<string, any> }> {
    const res = await fetch(`${t.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  }

  const replyTo = (caseId: string, text: unknown, who: Staff = agent) => post(`/api/v1/cases/${caseId}/replies`, who.token, { text });
  const noteOn = (caseId: string, text: unknown, who: Staff = agent) => post(`/api/v1/cases/${caseId}/notes`, who.token, { text });

  async function caseState(caseId: string): Promise<CaseState> {
    const [row] = await t.db.query<CaseState>(`SELECT status, first_response_at, version FROM "case" WHERE id = $1`, [caseId]);
    return row;
  }

  async function caseOwnerAndStatus(caseId: string): Promise<{ assignee_id: string | null; status: CaseStatus }> {
    const [row] = await t.db.query<{ assignee_id: string | null; status: CaseStatus }>(`SELECT assignee_id, status FROM "case" WHERE id = $1`, [caseId]);
    return row;
  }

  function moveCase(caseId: string, to: CaseStatus): Promise<unknown> {
    return t.get(Db).transaction((tx) => t.get(CasesService).changeStatus(tx, caseId, to));
  }

  describe('replies', () => {
    it('stores a trimmed reply as queued on the case’s channel, answers 201 with it, and delivers it', async () => {
      const caseId = await givenCase();

      const res = await replyTo(caseId, '  We will call you back today.  ');

      expect(res.status).toBe(201);
      expect(res.body).toEqual({
        id: expect.any(String),
        caseId,
        direction: 'outbound',
        channel: 'api',
        text: 'We will call you back today.',
        attachments: [],
        redactions: null,
        authorAgentId: agent.agent.id,
        identityId: null,
        deliveryStatus: 'queued',
        deliveryReason: null,
        attempts: 0,
        sentAt: null,
        createdAt: expect.any(String),
      });
      const [stored] = await t.db.query(`SELECT direction, text, author_agent_id FROM message WHERE id = $1`, [res.body.id]);
      expect(stored).toEqual({ direction: 'outbound', text: 'We will call you back today.', author_agent_id: agent.agent.id });
      const delivered = await eventually(async () => {
        const [row] = await t.db.query(`SELECT delivery_status, sent_at FROM message WHERE id = $1`, [res.body.id]);
        expect(row.delivery_status).toBe(DeliveryStatus.Sent);
        return row;
      });
      expect(delivered.sent_at).toBeInstanceOf(Date);
      expect(hook.requests.filter((r) => r.json.messageId === res.body.id).map((r) => r.json.text)).toEqual(['We will call you back today.']);
    });

    it('stamps the case’s first response once, on the first reply', async () => {
      const caseId = await givenCase();
      expect((await caseState(caseId)).first_response_at).toBeNull();

      const first = await replyTo(caseId, 'First answer');
      const stamped = (await caseState(caseId)).first_response_at;
      await replyTo(caseId, 'Second answer');

      expect(stamped).toEqual(new Date(first.body.createdAt));
      expect((await caseState(caseId)).first_response_at).toEqual(stamped);
    });

    it('moves a new case to open when its assignee replies', async () => {
      const caseId = await givenCase();
      await t.db.query(`UPDATE "case" SET assignee_id = $2 WHERE id = $1`, [caseId, agent.agent.id]);

      expect((await replyTo(caseId, 'I am on it')).status).toBe(201);

      expect((await caseState(caseId)).status).toBe(CaseStatus.Open);
    });

    it('makes the replier the owner of an unowned case: a new one opens, a pending one stays pending', async () => {
      const queued = await givenCase();
      const pending = await givenCase();
      await moveCase(pending, CaseStatus.Pending);

      expect((await replyTo(queued, 'A quick answer')).status).toBe(201);
      expect((await replyTo(pending, 'Still waiting on your photo')).status).toBe(201);

      expect(await caseOwnerAndStatus(queued)).toEqual({ assignee_id: agent.agent.id, status: CaseStatus.Open });
      expect(await caseOwnerAndStatus(pending)).toEqual({ assignee_id: agent.agent.id, status: CaseStatus.Pending });
    });

    it('refuses a reply on a closed case with 409 and stores nothing', async () => {
      const caseId = await givenCase();
      await moveCase(caseId, CaseStatus.Closed);

      const res = await replyTo(caseId, 'Too late');

      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('InvalidTransition');
      expect(await t.db.query(`SELECT id FROM message WHERE case_id = $1 AND direction = 'outbound'`, [caseId])).toEqual([]);
      expect((await caseState(caseId)).first_response_at).toBeNull();
    });

    it('removes a card number the agent typed before it is stored or sent', async () => {
      const caseId = await givenCase();

      const res = await replyTo(caseId, 'I have noted card 4111 1111 1111 1111 exp 12/29 for you');

      expect(res.status).toBe(201);
      expect(res.body.text).not.toMatch(/4111/);
      expect(res.body.text).toContain(CARD_PLACEHOLDER);
      expect(res.body.redactions).toMatchObject({ cardNumbers: 1 });
      const [stored] = await t.db.query<{ text: string }>(`SELECT text FROM message WHERE id = $1`, [res.body.id]);
      expect(stored.text).not.toMatch(/4111/);
      const audit = await t.db.query(`SELECT action, actor_type, actor_id FROM audit_entry WHERE subject_id = $1`, [res.body.id]);
      expect(audit).toEqual([{ action: 'message.card-data-removed', actor_type: 'agent', actor_id: agent.agent.id }]);
      const sent = await eventually(() => {
        const req = hook.requests.find((r) => r.json.messageId === res.body.id);
        if (!req) throw new Error('not delivered yet');
        return req;
      });
      expect(sent.rawBody.toString()).not.toMatch(/4111/);
    });
  });

  describe('notes', () => {
    it('stores a note with no delivery status, never sends it, and leaves the case as it was', async () => {
      const caseId = await givenCase();
      const before = await caseState(caseId);

      const note = await noteOn(caseId, '  Resident sounded worried  ');

      expect(note.status).toBe(201);
      expect(note.body).toMatchObject({ caseId, direction: 'note', text: 'Resident sounded worried', deliveryStatus: null, authorAgentId: agent.agent.id });
      expect(await caseState(caseId)).toEqual(before);
      // A reply after the note is delivered; the note never reached the receiver before or with it.
      const reply = await replyTo(caseId, 'After the note');
      await eventually(() => expect(hook.requests.some((r) => r.json.messageId === reply.body.id)).toBe(true));
      expect(hook.requests.some((r) => r.json.messageId === note.body.id)).toBe(false);
    });

    it('may be added to a closed case', async () => {
      const caseId = await givenCase();
      await moveCase(caseId, CaseStatus.Closed);

      expect((await noteOn(caseId, 'Duplicate of another case')).status).toBe(201);
    });
  });

  describe('input and access', () => {
    it.each([
      ['missing', undefined],
      ['not a string', 42],
      ['empty', ''],
      ['blank', ' \n\t '],
      ['too long', 'x'.repeat(STAFF_TEXT_MAX + 1)],
    ])('answers 400 naming text when it is %s', async (_what, text) => {
      const caseId = await givenCase();
      for (const send of [replyTo, noteOn]) {
        const res = await send(caseId, text);
        expect(res.status).toBe(400);
        expect(res.body.error.code).toBe('Validation');
        expect(res.body.error.message).toMatch(/^text: /);
      }
      expect(await t.db.query(`SELECT id FROM message WHERE case_id = $1 AND direction <> 'inbound'`, [caseId])).toEqual([]);
    });

    it(`accepts exactly ${STAFF_TEXT_MAX} characters after trimming`, async () => {
      const caseId = await givenCase();
      const res = await replyTo(caseId, `  ${'y'.repeat(STAFF_TEXT_MAX)}  `);
      expect(res.status).toBe(201);
      expect(res.body.text).toHaveLength(STAFF_TEXT_MAX);
    });

    it('answers 401 without a staff token', async () => {
      const caseId = await givenCase();
      expect((await post(`/api/v1/cases/${caseId}/replies`, undefined, { text: 'hi' })).status).toBe(401);
      expect((await post(`/api/v1/cases/${caseId}/notes`, inboxToken, { text: 'hi' })).status).toBe(401);
    });

    it('answers 404 for a case that does not exist, or an id that is not one', async () => {
      for (const id of [randomUUID(), 'not-a-case']) {
        const res = await replyTo(id, 'Anyone there?');
        expect(res.status).toBe(404);
        expect(res.body.error.code).toBe('NotFound');
      }
    });

    it('answers 404 to staff outside the case’s department, so its existence does not leak', async () => {
      const caseId = await givenCase();
      const otherSupervisor = await givenAgent(t, { role: AgentRole.Supervisor, departments: ['housing'] });

      for (const who of [wasteAgent, otherSupervisor]) {
        for (const send of [replyTo, noteOn]) {
          const res = await send(caseId, 'Not my queue', who);
          expect(res.status).toBe(404);
          expect(res.body.error.code).toBe('NotFound');
        }
      }
      expect(await t.db.query(`SELECT id FROM message WHERE case_id = $1 AND direction <> 'inbound'`, [caseId])).toEqual([]);
    });

    it('answers 403 to a colleague replying on a case someone else owns; they may still add a note', async () => {
      const caseId = await givenCase();
      const colleague = await givenAgent(t, { role: AgentRole.Agent, departments: ['customer-services'] });
      expect((await replyTo(caseId, 'Mine now')).status).toBe(201);

      const refused = await replyTo(caseId, 'Me too', colleague);

      expect(refused.status).toBe(403);
      expect(refused.body.error.code).toBe('Forbidden');
      expect((await noteOn(caseId, 'Resident called again', colleague)).status).toBe(201);
      expect(await caseOwnerAndStatus(caseId)).toEqual({ assignee_id: agent.agent.id, status: CaseStatus.Open });
    });

    it('lets an agent reply on a case assigned to them outside their departments', async () => {
      const caseId = await givenCase();
      await t.db.query(`UPDATE "case" SET assignee_id = $2 WHERE id = $1`, [caseId, wasteAgent.agent.id]);

      expect((await replyTo(caseId, 'Transferred to me', wasteAgent)).status).toBe(201);
    });
  });

  describe(CaseReplyService.name, () => {
    it('serialises a reply with a concurrent close: the reply is stored before the close, or refused', async () => {
      const caseId = await givenCase();
      const sut = t.get(CaseReplyService);
      const [{ department_id: departmentId }] = await t.db.query<{ department_id: string }>(`SELECT department_id FROM "case" WHERE id = $1`, [caseId]);
      const actor = { id: agent.agent.id, email: agent.agent.email, name: agent.agent.name, role: AgentRole.Agent, departmentIds: [departmentId] };

      const [reply, close] = await Promise.allSettled([sut.send(actor, caseId, { text: 'Racing' }), moveCase(caseId, CaseStatus.Closed)]);

      expect(close.status).toBe('fulfilled');
      const outbound = await t.db.query(`SELECT id FROM message WHERE case_id = $1 AND direction = 'outbound'`, [caseId]);
      if (reply.status === 'fulfilled') expect(outbound).toHaveLength(1);
      else {
        expect(reply.reason).toMatchObject({ code: 'InvalidTransition' });
        expect(outbound).toEqual([]);
      }
    });
  });
});
