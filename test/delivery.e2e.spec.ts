import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { Channel, AgentRole, DeliveryStatus } from '../src/common/enum';
import { AgentsService } from '../src/agents/agents.service';
import type { Actor } from '../src/auth/actor';
import { DeliveryService } from '../src/delivery/delivery.service';
import { startTestApp, TestApp } from './support/app';
import { CallbackStandIn, ReceivedRequest, Responder, StandInAnswer, startCallbackStandIn } from './support/callback-stand-in';
import { AckResult, ConsoleClient, connectConsole } from './support/console-client';
import { eventually } from './support/eventually';
import { givenAgent, givenApiInbox, postApiMessage } from './support/given';

const MAX_ATTEMPTS = 3;

const ENV = {
  DELIVERY_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
  DELIVERY_BACKOFF_MS: '20',
  DELIVERY_TIMEOUT_MS: '2000',
  SWEEP_INTERVAL_MS: '200',
  SWEEP_STUCK_AFTER_MS: '1000',
};

/** The receiving system accepts and answers with its own id for the message. */
const accept = (req: ReceivedRequest, n: number): StandInAnswer => ({ status: 200, body: { id: providerIdFor(req, n) } });
const providerIdFor = (req: ReceivedRequest, n: number) => `prov-${String(req.json.messageId)}-${n}`;
const answer = (status: number): Responder => () => ({ status, body: { error: `stand-in says ${status}` } });

interface MessageState {
  delivery_status: DeliveryStatus;
  provider_message_id: string | null;
  delivery_reason: string | null;
  attempts: number;
  sent_at: Date | null;
}

describe.each([
  ['in-process jobs', false],
  ['BullMQ on real Redis', true],
])('Delivery of replies to the API channel (%s)', (_label, redis) => {
  let t: TestApp;
  let staff: { token: string; agent: { id: string } };
  /** The supervisor as DeliveryService.resend takes them (as the socket and REST sign-in build it). */
  let staffActor: Actor;
  const standIns: CallbackStandIn[] = [];
  const sockets: ConsoleClient[] = [];

  beforeAll(async () => {
    t = await startTestApp({ redis, env: ENV });
    staff = await givenAgent(t, { role: AgentRole.Supervisor });
    staffActor = (await t.get(AgentsService).findActiveActor(staff.agent.id))!;
  });
  afterAll(() => t.close());
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    for (const s of standIns.splice(0)) await s.close();
  });

  /** A resident writes in through an API inbox whose callback URL is a fresh stand-in. */
  async function givenCase(responder: Responder) {
    const hook = await startCallbackStandIn(responder);
    standIns.push(hook);
    const inbox = await givenApiInbox(t, { callbackUrl: hook.url });
    const address = `resident-${randomUUID()}`;
    const posted = await postApiMessage(t, inbox.token, { externalId: `in-${randomUUID()}`, from: { address, name: 'Grace Hopper' }, text: 'Hello, I have a question.' });
    expect(posted.status).toBe(201);
    return { hook, inbox, address, caseId: posted.body.caseId as string, reference: posted.body.reference as string };
  }

  async function reply(caseId: string, text: string): Promise<{ id: string; deliveryStatus: string }> {
    const res = await fetch(`${t.url}/api/v1/cases/${caseId}/replies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${staff.token}` },
      body: JSON.stringify({ text }),
    });
    const body = (await res.json()) as { id: string; deliveryStatus: string };
    expect(res.status).toBe(201);
    return body;
  }

  async function stateOf(messageId: string): Promise<MessageState> {
    const [row] = await t.db.query<MessageState>(
      `SELECT delivery_status, provider_message_id, delivery_reason, attempts, sent_at FROM message WHERE id = $1`,
      [messageId],
    );
    return row;
  }

  function becomes(messageId: string, status: DeliveryStatus): Promise<MessageState> {
    return eventually(async () => {
      const row = await stateOf(messageId);
      expect(row.delivery_status).toBe(status);
      return row;
    });
  }

  /** An outbound row written straight to the database: no event, so no job was ever enqueued for it. */
  async function insertQueuedReply(caseId: string, text: string, updatedAgo: string): Promise<string> {
    const [row] = await t.db.query<{ id: string }>(
      `INSERT INTO message (case_id, direction, channel, author_agent_id, text, delivery_status, created_at, updated_at)
       VALUES ($1, 'outbound', 'api', $2, $3, 'queued', now() - $4::interval, now() - $4::interval) RETURNING id`,
      [caseId, staff.agent.id, text, updatedAgo],
    );
    return row.id;
  }

  async function postStatus(token: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
    const res = await fetch(`${t.url}/channels/api/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  it('posts a reply to the callback URL signed over the exact body, then records it sent with the receiver’s id', async () => {
    const { hook, inbox, caseId, reference, address } = await givenCase(accept);
    const message = await reply(caseId, 'Your bin will be collected tomorrow.');
    expect(message.deliveryStatus).toBe('queued');

    const row = await becomes(message.id, DeliveryStatus.Sent);

    expect(hook.requests).toHaveLength(1);
    const [req] = hook.requests;
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toMatch(/^application\/json/);
    const expected = Buffer.from(`sha256=${createHmac('sha256', inbox.secret).update(req.rawBody).digest('hex')}`);
    const signature = Buffer.from(String(req.headers['x-hub-signature-256']));
    expect(signature.length).toBe(expected.length);
    expect(timingSafeEqual(signature, expected)).toBe(true);
    expect(req.json).toMatchObject({ messageId: message.id, caseId, reference, to: { address }, text: 'Your bin will be collected tomorrow.' });
    expect(row.provider_message_id).toBe(providerIdFor(req, 1));
    expect(row.delivery_reason).toBeNull();
    expect(row.sent_at).toBeInstanceOf(Date);
  });

  it('retries a receiver that answers 503 twice and records the message sent after the third request', async () => {
    const { hook, caseId } = await givenCase((req, n) => (n <= 2 ? { status: 503 } : accept(req, n)));
    const message = await reply(caseId, 'Third time lucky');

    const row = await becomes(message.id, DeliveryStatus.Sent);

    expect(hook.requests).toHaveLength(3);
    expect(new Set(hook.requests.map((r) => r.json.messageId))).toEqual(new Set([message.id]));
    expect(row.provider_message_id).toBe(providerIdFor(hook.requests[2], 3));
    expect(row.attempts).toBe(3);
    expect(row.delivery_reason).toBeNull();
  });

  it(`gives up on a receiver that always answers 503 after exactly ${MAX_ATTEMPTS} requests, with a readable reason`, async () => {
    const { hook, caseId } = await givenCase(answer(503));
    const message = await reply(caseId, 'Nobody home');

    const row = await becomes(message.id, DeliveryStatus.Failed);

    expect(hook.requests).toHaveLength(MAX_ATTEMPTS);
    expect(row.attempts).toBe(MAX_ATTEMPTS);
    expect(row.delivery_reason).toMatch(/503/);
    expect(row.delivery_reason).toMatch(new RegExp(`gave up after ${MAX_ATTEMPTS} attempts`));
    expect(row.provider_message_id).toBeNull();
    expect(row.sent_at).toBeNull();
  });

  it('fails at once, after exactly one request, when the receiver refuses the reply with 400', async () => {
    const { hook, caseId } = await givenCase(answer(400));
    const message = await reply(caseId, 'Refused');

    const row = await becomes(message.id, DeliveryStatus.Failed);

    expect(hook.requests).toHaveLength(1);
    expect(row.attempts).toBe(1);
    expect(row.delivery_reason).toMatch(/400/);
  });

  it('really sends a failed message again when it is re-sent, and records it sent', async () => {
    const { hook, caseId } = await givenCase(answer(400));
    const message = await reply(caseId, 'Second chance');
    await becomes(message.id, DeliveryStatus.Failed);
    expect(hook.requests).toHaveLength(1);

    hook.respond(accept);
    const requeued = await t.get(DeliveryService).resend(message.id, staffActor);
    expect(requeued.delivery_status).toBe(DeliveryStatus.Queued);

    const row = await becomes(message.id, DeliveryStatus.Sent);
    expect(hook.requests).toHaveLength(2);
    expect(hook.requests[1].json.messageId).toBe(message.id);
    expect(row.provider_message_id).toBe(providerIdFor(hook.requests[1], 2));
    expect(row.delivery_reason).toBeNull();
    const audit = await t.db.query(`SELECT action, actor_id FROM audit_entry WHERE subject_id = $1`, [message.id]);
    expect(audit).toEqual([{ action: 'message.resend', actor_id: staff.agent.id }]);
  });

  it('really sends a failed message again when a supervisor retries it over REST', async () => {
    const { hook, caseId } = await givenCase(answer(400));
    const message = await reply(caseId, 'Retry from the dashboard');
    await becomes(message.id, DeliveryStatus.Failed);
    hook.respond(accept);

    const res = await fetch(`${t.url}/api/v1/messages/${message.id}/retry`, { method: 'POST', headers: { authorization: `Bearer ${staff.token}` } });

    expect(res.status).toBe(202);
    expect(await res.json()).toMatchObject({ id: message.id, deliveryStatus: 'queued', deliveryReason: null, attempts: 0 });
    const row = await becomes(message.id, DeliveryStatus.Sent);
    expect(hook.requests.map((r) => r.json.messageId)).toEqual([message.id, message.id]);
    expect(row.provider_message_id).toBe(providerIdFor(hook.requests[1], 2));
  });

  it('refuses to re-send a message that has not failed', async () => {
    const { caseId } = await givenCase(accept);
    const message = await reply(caseId, 'Already fine');
    await becomes(message.id, DeliveryStatus.Sent);
    await expect(t.get(DeliveryService).resend(message.id, staffActor)).rejects.toMatchObject({ code: 'Conflict' });
  });

  it('delivers a queued reply whose job was lost once the sweep finds it', async () => {
    const { hook, caseId } = await givenCase(accept);
    const lost = await insertQueuedReply(caseId, 'Lost in a Redis restart', '1 hour');

    const row = await becomes(lost, DeliveryStatus.Sent);

    expect(hook.requests.map((r) => r.json.messageId)).toEqual([lost]);
    expect(row.provider_message_id).toBe(providerIdFor(hook.requests[0], 1));
  });

  it('keeps the furthest status when the receiver’s callbacks arrive out of order', async () => {
    const { hook, inbox, caseId } = await givenCase(accept);
    const message = await reply(caseId, 'Out of order');
    const { provider_message_id: providerId } = await becomes(message.id, DeliveryStatus.Sent);
    expect(providerId).toBe(providerIdFor(hook.requests[0], 1));

    expect(await postStatus(inbox.token, { providerMessageId: providerId, status: 'delivered' })).toEqual({ status: 200, body: { applied: true } });
    const lateSent = await t.get(DeliveryService).applyProviderStatus(Channel.Api, providerId!, DeliveryStatus.Sent);
    expect(lateSent).toBeUndefined();
    expect((await stateOf(message.id)).delivery_status).toBe(DeliveryStatus.Delivered);

    expect(await postStatus(inbox.token, { providerMessageId: providerId, status: 'failed', reason: 'too late' })).toEqual({ status: 200, body: { applied: false } });
    expect(await postStatus(inbox.token, { providerMessageId: providerId, status: 'read' })).toEqual({ status: 200, body: { applied: true } });
    expect(await postStatus(inbox.token, { providerMessageId: providerId, status: 'delivered' })).toEqual({ status: 200, body: { applied: false } });
    expect(await stateOf(message.id)).toMatchObject({ delivery_status: DeliveryStatus.Read, delivery_reason: null });
  });

  it('records a failure the receiver reports after accepting, with its reason', async () => {
    const { inbox, caseId } = await givenCase(accept);
    const message = await reply(caseId, 'Bounced later');
    const { provider_message_id: providerId } = await becomes(message.id, DeliveryStatus.Sent);

    const res = await postStatus(inbox.token, { providerMessageId: providerId, status: 'failed', reason: 'account closed' });

    expect(res).toEqual({ status: 200, body: { applied: true } });
    expect(await stateOf(message.id)).toMatchObject({ delivery_status: DeliveryStatus.Failed, delivery_reason: 'account closed' });
  });

  it('answers status callbacks for unknown ids, or another inbox’s messages, with applied: false', async () => {
    const { caseId } = await givenCase(accept);
    const message = await reply(caseId, 'Mine alone');
    const { provider_message_id: providerId } = await becomes(message.id, DeliveryStatus.Sent);
    const stranger = await givenApiInbox(t);

    expect(await postStatus(stranger.token, { providerMessageId: providerId, status: 'delivered' })).toEqual({ status: 200, body: { applied: false } });
    expect(await postStatus(stranger.token, { providerMessageId: `nobody-${randomUUID()}`, status: 'delivered' })).toEqual({ status: 200, body: { applied: false } });
    expect((await stateOf(message.id)).delivery_status).toBe(DeliveryStatus.Sent);
  });

  it('refuses a bad status callback with 400 naming the field, and a missing token with 401', async () => {
    const inbox = await givenApiInbox(t);
    const cases: Array<[unknown, string]> = [
      [{ status: 'delivered' }, 'providerMessageId'],
      [{ providerMessageId: '   ', status: 'delivered' }, 'providerMessageId'],
      [{ providerMessageId: 'p-1', status: 'sent' }, 'status'],
      [{ providerMessageId: 'p-1' }, 'status'],
      [{ providerMessageId: 'p-1', status: 'failed', reason: 42 }, 'reason'],
      [['not', 'an', 'object'], 'JSON object'],
    ];
    for (const [body, field] of cases) {
      const res = await postStatus(inbox.token, body);
      expect({ body, status: res.status }).toEqual({ body, status: 400 });
      expect((res.body.error as { code: string; message: string }).code).toBe('Validation');
      expect((res.body.error as { message: string }).message).toContain(field);
    }
    const anonymous = await fetch(`${t.url}/channels/api/status`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ providerMessageId: 'p-1', status: 'delivered' }),
    });
    expect(anonymous.status).toBe(401);
  });

  it('sends a message once when duplicate jobs for it run at the same time', async () => {
    const { hook, caseId } = await givenCase((req, n) => ({ ...accept(req, n), delayMs: 200 }));
    const messageId = await insertQueuedReply(caseId, 'Only once, please', '0 seconds');
    const deliveries = t.get(DeliveryService);

    await Promise.all(
      Array.from({ length: 5 }, () => deliveries.handleDeliver({ messageId }, { attempt: 1, maxAttempts: MAX_ATTEMPTS, isFinalAttempt: false })),
    );

    expect(hook.requests).toHaveLength(1);
    expect(await stateOf(messageId)).toMatchObject({ delivery_status: DeliveryStatus.Sent, attempts: 1, provider_message_id: providerIdFor(hook.requests[0], 1) });
  });

  describe('retrying a failed reply: the rules of replying (message:retry and POST /api/v1/messages/:id/retry)', () => {
    /** Longer than a sweep round (SWEEP_INTERVAL_MS) and many back-offs: a re-send would have reached the stand-in by then. */
    const QUIET_MS = 600;

    async function connect(who: { token: string }): Promise<ConsoleClient> {
      const client = await connectConsole(t.url, { token: who.token });
      sockets.push(client);
      await client.waitFor('hello');
      return client;
    }

    function restRetry(who: { token: string }, messageId: string) {
      return fetch(`${t.url}/api/v1/messages/${messageId}/retry`, { method: 'POST', headers: { authorization: `Bearer ${who.token}` } }).then(async (res) => ({
        status: res.status,
        body: (await res.json()) as { error?: { code: string; message: string } },
      }));
    }

    function expectRefused(ack: AckResult, code: string): { code: string; message: string } {
      expect(ack).toMatchObject({ ok: false, error: { code, message: expect.any(String) } });
      return (ack as Extract<AckResult, { ok: false }>).error;
    }

    /** An agent replies on a fresh case (so owns it) over the socket; the receiver refuses it, then would accept anything. */
    async function failedReplyOwnedBy(owner: { token: string }) {
      const given = await givenCase(answer(400));
      const socket = await connect(owner);
      const ack = await socket.send('case:reply', { caseId: given.caseId, text: 'This reply fails first' });
      expect(ack).toMatchObject({ ok: true, message: { deliveryStatus: 'queued' } });
      const messageId = (ack as Extract<AckResult, { ok: true }>).message.id as string;
      await becomes(messageId, DeliveryStatus.Failed);
      expect(given.hook.requests).toHaveLength(1);
      given.hook.respond(accept);
      return { ...given, socket, messageId };
    }

    async function expectNotSentAgain(hook: CallbackStandIn, messageId: string, before: MessageState): Promise<void> {
      await new Promise((resolve) => setTimeout(resolve, QUIET_MS));
      expect(hook.requests).toHaveLength(1);
      expect(await stateOf(messageId)).toEqual(before);
    }

    it('refuses a retry on a closed case with InvalidTransition, as case:reply does, and sends nothing', async () => {
      const owner = await givenAgent(t);
      const { hook, socket, caseId, messageId } = await failedReplyOwnedBy(owner);
      expect(await socket.send('case:status', { caseId, status: 'closed' })).toMatchObject({ ok: true, case: { status: 'closed' } });
      const failed = await stateOf(messageId);
      const replyRefusal = expectRefused(await socket.send('case:reply', { caseId, text: 'One more thing' }), 'InvalidTransition');

      const refusal = expectRefused(await socket.send('message:retry', { messageId }), 'InvalidTransition');
      expect(refusal.message).toBe(replyRefusal.message);
      expect(refusal.message).toMatch(/is closed: it cannot be replied to/);
      const rest = await restRetry(owner, messageId);
      expect(rest.status).toBe(409);
      expect(rest.body.error).toMatchObject({ code: 'InvalidTransition', message: replyRefusal.message });
      await expect(t.get(DeliveryService).resend(messageId, (await t.get(AgentsService).findActiveActor(owner.agent.id))!)).rejects.toMatchObject({ code: 'InvalidTransition' });

      expect(failed.delivery_status).toBe(DeliveryStatus.Failed);
      await expectNotSentAgain(hook, messageId, failed);
      const audit = await t.db.query(`SELECT action FROM audit_entry WHERE action = 'message.resend' AND subject_id = $1`, [messageId]);
      expect(audit).toEqual([]);
    });

    it('refuses a retry by an agent who does not own the case with the code replying gets (Forbidden), and sends nothing', async () => {
      const owner = await givenAgent(t);
      const colleague = await givenAgent(t); // the same department, not the owner
      const { hook, caseId, messageId } = await failedReplyOwnedBy(owner);
      const failed = await stateOf(messageId);
      const theirs = await connect(colleague);
      const replyRefusal = expectRefused(await theirs.send('case:reply', { caseId, text: 'Let me try' }), 'Forbidden');

      expectRefused(await theirs.send('message:retry', { messageId }), replyRefusal.code);
      expect((await restRetry(colleague, messageId)).body.error).toMatchObject({ code: 'Forbidden' });

      await expectNotSentAgain(hook, messageId, failed);
      const [kase] = await t.db.query<{ assignee_id: string }>(`SELECT assignee_id FROM "case" WHERE id = $1`, [caseId]);
      expect(kase.assignee_id).toBe(owner.agent.id);
    });

    it('lets a supervisor re-send an agent’s failed reply from the failed list without taking the case over', async () => {
      const owner = await givenAgent(t);
      const { hook, caseId, messageId } = await failedReplyOwnedBy(owner);

      const rest = await restRetry(staff, messageId);
      expect(rest.status).toBe(202);
      await becomes(messageId, DeliveryStatus.Sent);
      expect(hook.requests.map((r) => r.json.messageId)).toEqual([messageId, messageId]);
      const [kase] = await t.db.query<{ assignee_id: string }>(`SELECT assignee_id FROM "case" WHERE id = $1`, [caseId]);
      expect(kase.assignee_id).toBe(owner.agent.id);
    });

    it('still re-sends the owner’s failed reply on an open case, over the socket and over REST', async () => {
      const owner = await givenAgent(t);
      const { hook, socket, messageId } = await failedReplyOwnedBy(owner);

      expect(await socket.send('message:retry', { messageId })).toMatchObject({ ok: true, message: { id: messageId, deliveryStatus: 'queued' } });
      await becomes(messageId, DeliveryStatus.Sent);
      expect(hook.requests.map((r) => r.json.messageId)).toEqual([messageId, messageId]);

      const second = await failedReplyOwnedBy(owner);
      const rest = await restRetry(owner, second.messageId);
      expect(rest.status).toBe(202);
      await becomes(second.messageId, DeliveryStatus.Sent);
      expect(second.hook.requests.map((r) => r.json.messageId)).toEqual([second.messageId, second.messageId]);
    });
  });
});
