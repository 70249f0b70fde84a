import { randomUUID } from 'node:crypto';
import { DeliveryStatus } from '../src/common/enum';
import { startTestApp, TestApp } from './support/app';
import { CallbackStandIn, startCallbackStandIn } from './support/callback-stand-in';
import { AckResult, ConsoleClient, connectConsole } from './support/console-client';
import { eventually } from './support/eventually';
import { givenAgent, givenApiInbox, postApiMessage } from './support/given';

type Staff = Awaited<ReturnType<typeof givenAgent>>;

/**
 * `case:reply` with a clientId is one reply however often it is sent (a double press, a command retried after a
 * dropped socket): one message stored, one delivery to the resident, the same ack. Real socket.io clients against the
 * whole hub; the API inbox's callback stand-in shows what was delivered.
 */
describe.each([
  ['in-process', false],
  ['with Redis', true],
])('Agent console: a reply sent twice is sent once (%s)', (_mode, redis) => {
  let t: TestApp;
  let hook: CallbackStandIn;
  let inbox: string;
  let alice: Staff;
  let bob: Staff;
  const sockets: ConsoleClient[] = [];

  beforeAll(async () => {
    t = await startTestApp({ redis, env: { DELIVERY_MAX_ATTEMPTS: '2', DELIVERY_BACKOFF_MS: '50' } });
    hook = await startCallbackStandIn((req) => ({ status: 200, body: { id: `prov-${String(req.json.messageId)}` } }));
    inbox = (await givenApiInbox(t, { department: 'customer-services', callbackUrl: hook.url })).token;
    [alice, bob] = await Promise.all([
      givenAgent(t, { name: 'Alice Archer', departments: ['customer-services'], capacity: 10 }),
      givenAgent(t, { name: 'Bob Builder', departments: ['customer-services'], capacity: 10 }),
    ]);
  });

  afterAll(async () => {
    for (const s of sockets) s.close();
    await t?.close();
    await hook?.close();
  });

  async function connect(who: Staff): Promise<ConsoleClient> {
    const client = await connectConsole(t.url, { token: who.token });
    sockets.push(client);
    await client.waitFor('hello');
    return client;
  }

  /** A resident writes in; Alice owns the case and has it open. */
  async function givenOwnedCase(): Promise<{ a: ConsoleClient; caseId: string }> {
    const res = await postApiMessage(t, inbox, { externalId: `in-${randomUUID()}`, from: { address: `resident-${randomUUID()}` }, text: 'Hello, I have a question about my account' });
    expect(res.status).toBe(201);
    const caseId = res.body.caseId as string;
    const a = await connect(alice);
    expect(await a.send('case:claim', { caseId })).toMatchObject({ ok: true });
    expect(await a.send('case:open', { caseId })).toMatchObject({ ok: true });
    return { a, caseId };
  }

  async function outboundIds(caseId: string): Promise<string[]> {
    const rows = await t.db.query<{ id: string }>(`SELECT id FROM message WHERE case_id = $1 AND direction = 'outbound' ORDER BY created_at, id`, [caseId]);
    return rows.map((r) => r.id);
  }

  /** Every outbound message of the case delivered (sent), then what the receiving system got for them. */
  async function deliveriesSettled(caseId: string): Promise<string[]> {
    const ids = await outboundIds(caseId);
    await eventually(async () => {
      const rows = await t.db.query<{ delivery_status: string }>(`SELECT delivery_status FROM message WHERE id = ANY($1::uuid[])`, [ids]);
      expect(rows.map((r) => r.delivery_status)).toEqual(ids.map(() => DeliveryStatus.Sent));
    });
    // A second job (the bug) would post at about the same time as the first: give it a moment to show.
    await new Promise((resolve) => setTimeout(resolve, 300));
    return hook.requests.filter((r) => ids.includes(String(r.json.messageId))).map((r) => String(r.json.messageId));
  }

  const messageOf = (ack: AckResult) => {
    expect(ack).toMatchObject({ ok: true });
    return (ack as unknown as { message: { id: string; text: string } }).message;
  };

  it('two case:reply with the same clientId at once: one message, both acks name it, one delivery', async () => {
    const { a, caseId } = await givenOwnedCase();
    const clientId = randomUUID();

    const acks = await Promise.all([
      a.send('case:reply', { caseId, text: 'We will call you back today.', clientId }),
      a.send('case:reply', { caseId, text: 'We will call you back today.', clientId }),
    ]);

    const [first, second] = acks.map(messageOf);
    expect(second.id).toBe(first.id);
    for (const ack of acks) expect(ack).toMatchObject({ ok: true, clientId, message: { id: first.id, caseId, direction: 'outbound', text: 'We will call you back today.' } });
    // One of them is the repeat, and says so.
    expect(acks.filter((ack) => (ack as { duplicate?: boolean }).duplicate === true)).toHaveLength(1);
    expect(await outboundIds(caseId)).toEqual([first.id]);
    expect(await deliveriesSettled(caseId)).toEqual([first.id]);
    expect(a.events('message:created').filter((p) => p.message.caseId === caseId && p.message.direction === 'outbound').map((p) => p.message.id)).toEqual([first.id]);
  });

  it('the same clientId again after the first was acked: the same ack, nothing stored, audited or sent again', async () => {
    const { a, caseId } = await givenOwnedCase();
    const clientId = randomUUID();
    // A card number in the text: the hub removes it and audits that, once per reply.
    const text = 'Your bin will be collected tomorrow. Card 4111 1111 1111 1111 noted.';
    const first = await a.send('case:reply', { caseId, text, clientId });
    const sent = messageOf(first);
    expect(first).not.toHaveProperty('duplicate');
    await a.waitFor('message:status', (p) => p.messageId === sent.id && p.status === DeliveryStatus.Sent);

    // As after a dropped socket: the command again, on a new connection.
    const again = await connect(alice);
    const second = await again.send('case:reply', { caseId, text, clientId });

    expect(second).toMatchObject({ ok: true, clientId, duplicate: true, message: { id: sent.id, text: sent.text, deliveryStatus: 'sent' } });
    expect(await outboundIds(caseId)).toEqual([sent.id]);
    expect(await deliveriesSettled(caseId)).toEqual([sent.id]);
    const audits = await t.db.query<{ action: string }>(`SELECT action FROM audit_entry WHERE subject_type = 'message' AND subject_id = $1`, [sent.id]);
    expect(audits.map((r) => r.action)).toEqual(['message.card-data-removed']);
  });

  it('another agent cannot take over a reply by its clientId', async () => {
    const { a, caseId } = await givenOwnedCase();
    const clientId = randomUUID();
    const messageId = messageOf(await a.send('case:reply', { caseId, text: 'First words.', clientId })).id;
    expect(await a.send('case:release', { caseId })).toMatchObject({ ok: true });
    const b = await connect(bob);
    expect(await b.send('case:claim', { caseId })).toMatchObject({ ok: true });

    expect(await b.send('case:reply', { caseId, text: 'Bob here.', clientId })).toMatchObject({ ok: false, error: { code: 'Conflict' } });
    expect(await outboundIds(caseId)).toEqual([messageId]);
  });

  it('different clientIds are different replies', async () => {
    const { a, caseId } = await givenOwnedCase();
    const acks = await Promise.all([
      a.send('case:reply', { caseId, text: 'Same words.', clientId: randomUUID() }),
      a.send('case:reply', { caseId, text: 'Same words.', clientId: randomUUID() }),
    ]);
    const ids = acks.map((ack) => messageOf(ack).id);
    expect(new Set(ids).size).toBe(2);
    expect((await outboundIds(caseId)).sort()).toEqual([...ids].sort());
    expect((await deliveriesSettled(caseId)).sort()).toEqual([...ids].sort());
  });

  it('without a clientId every command is a reply, as before', async () => {
    const { a, caseId } = await givenOwnedCase();
    const acks = await Promise.all([a.send('case:reply', { caseId, text: 'No id here.' }), a.send('case:reply', { caseId, text: 'No id here.' })]);
    const ids = acks.map((ack) => messageOf(ack).id);
    expect(new Set(ids).size).toBe(2);
    for (const ack of acks) expect(ack).not.toHaveProperty('duplicate');
    expect((await outboundIds(caseId)).sort()).toEqual([...ids].sort());
    expect((await deliveriesSettled(caseId)).sort()).toEqual([...ids].sort());
  });
});
