import { Channel, AgentRole, DeliveryStatus } from '../src/common/enum';
import { metaSignature } from '../src/channels/meta/meta-signature';
import { InboxesService } from '../src/inboxes/inboxes.service';
import { startTestApp, TestApp } from './support/app';
import { eventually } from './support/eventually';
import { givenAgent } from './support/given';
import { fixture } from './fixtures/meta/fixture';
import { HttpStandIn, startHttpStandIn } from './support/http-stand-in';

const APP_SECRET = 'test-meta-app-secret';
const VERIFY_TOKEN = 'council-verify-token';
const PAGE_ID = '100200300';

describe('Meta channels end to end: /channels/meta and replies through the Graph API', () => {
  let t: TestApp;
  let graph: HttpStandIn;
  let staff: { token: string };

  beforeAll(async () => {
    graph = await startHttpStandIn(() => ({ status: 200, body: { message_id: 'm_unused' } }));
    t = await startTestApp({
      env: {
        META_APP_SECRET: APP_SECRET,
        META_VERIFY_TOKEN: VERIFY_TOKEN,
        META_GRAPH_API_URL: graph.url,
        META_GRAPH_API_VERSION: 'v21.0',
        DELIVERY_MAX_ATTEMPTS: '2',
        DELIVERY_BACKOFF_MS: '20',
        DELIVERY_TIMEOUT_MS: '2000',
      },
    });
    const inboxes = t.get(InboxesService);
    await inboxes.create({ channel: Channel.Messenger, name: 'Council Facebook page', department: 'customer-services', address: PAGE_ID, settings: { pageAccessToken: 'page-token' } });
    await inboxes.create({ channel: Channel.Instagram, name: 'Council Instagram', department: 'customer-services', address: '17841400000000001', settings: { pageAccessToken: 'ig-token' } });
    await inboxes.create({ channel: Channel.Whatsapp, name: 'Council WhatsApp', department: 'customer-services', address: 'PNID-3001', settings: { provider: 'meta', accessToken: 'wa-token' } });
    staff = await givenAgent(t, { role: AgentRole.Supervisor });
  });
  afterAll(async () => {
    await t.close();
    await graph.close();
  });

  async function post(body: string, signature: string | null = metaSignature(APP_SECRET, body), contentType = 'application/json') {
    const res = await fetch(`${t.url}/channels/meta`, {
      method: 'POST',
      headers: { 'content-type': contentType, ...(signature === null ? {} : { 'x-hub-signature-256': signature }) },
      body,
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
  }

  const messages = (externalId: string) =>
    t.db.query<{ id: string; case_id: string; channel: string; text: string; attachments: unknown[] }>(`SELECT id, case_id, channel, text, attachments FROM message WHERE external_id = $1`, [externalId]);

  describe('GET /channels/meta (verification handshake)', () => {
    it('answers the challenge as plain text when the verify token matches', async () => {
      const res = await fetch(`${t.url}/channels/meta?hub.mode=subscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1158201444`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      expect(await res.text()).toBe('1158201444');
    });

    it('refuses a wrong token, a wrong mode or nothing at all with 403', async () => {
      for (const query of [`hub.mode=subscribe&hub.verify_token=guess&hub.challenge=1`, `hub.mode=unsubscribe&hub.verify_token=${VERIFY_TOKEN}&hub.challenge=1`, '']) {
        expect((await fetch(`${t.url}/channels/meta?${query}`)).status).toBe(403);
      }
    });
  });

  describe('POST /channels/meta', () => {
    it('refuses a forged or missing signature with 403 and stores nothing', async () => {
      const body = fixture('meta', 'messenger-text.json').replace('m_text_1', 'm_forged');
      expect((await post(body, metaSignature('not-the-secret', body))).status).toBe(403);
      expect((await post(body, null)).status).toBe(403);
      expect(await messages('m_forged')).toEqual([]);
    });

    it('stores a Messenger text message on a new case, once however often Meta retries it', async () => {
      const body = fixture('meta', 'messenger-text.json');
      const first = await post(body);
      expect(first).toEqual({ status: 200, body: { stored: 1, duplicates: 0, statuses: 0, skipped: 0 } });
      expect((await post(body)).body).toEqual({ stored: 0, duplicates: 1, statuses: 0, skipped: 0 });
      const rows = await messages('m_text_1');
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ channel: 'messenger', text: 'The bin on Café Street wasn’t collected — £ charge?' });
      const [identity] = await t.db.query<{ address: string }>(`SELECT address FROM identity WHERE channel = 'messenger' AND address = 'PSID-7001'`);
      expect(identity).toBeDefined();
    });

    it('stores attachments as metadata', async () => {
      expect((await post(fixture('meta', 'messenger-attachment.json'))).body).toMatchObject({ stored: 1 });
      const [row] = await messages('m_att_1');
      expect(row.attachments).toEqual([expect.objectContaining({ filename: 'fly-tipping.jpg' }), expect.objectContaining({ filename: 'letter.pdf' })]);
    });

    it('ignores echoes of the page’s own messages', async () => {
      expect((await post(fixture('meta', 'messenger-echo.json'))).body).toEqual({ stored: 0, duplicates: 0, statuses: 0, skipped: 1 });
      expect(await messages('m_echo_1')).toEqual([]);
    });

    it('stores an Instagram message on the Instagram inbox', async () => {
      expect((await post(fixture('meta', 'instagram-text.json'))).body).toMatchObject({ stored: 1 });
      expect((await messages('aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx'))[0]).toMatchObject({ channel: 'instagram', text: 'Is the library open on Sunday?' });
    });

    it('stores WhatsApp Cloud text and image messages on one case for the resident', async () => {
      expect((await post(fixture('meta', 'whatsapp-text.json'))).body).toMatchObject({ stored: 1 });
      expect((await post(fixture('meta', 'whatsapp-image.json'))).body).toMatchObject({ stored: 1 });
      const [text] = await messages('wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggText1');
      const [image] = await messages('wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggImage1');
      expect(text).toMatchObject({ channel: 'whatsapp', text: 'Pothole outside number 12, Mill Lane' });
      expect(image).toMatchObject({ case_id: text.case_id, text: 'Here it is', attachments: [expect.objectContaining({ contentType: 'image/jpeg', url: `${graph.url}/v21.0/MEDIA-2001` })] });
      const [who] = await t.db.query<{ display_name: string }>(`SELECT display_name FROM identity WHERE channel = 'whatsapp' AND address = 'whatsapp:+447700900123'`);
      expect(who.display_name).toBe('Ada Lovelace');
    });

    it('processes the good events of a batch and skips the bad ones (a missing mid, a non-object entry, an unknown page, a postback)', async () => {
      expect(await post(fixture('meta', 'messenger-batch.json'))).toEqual({ status: 200, body: { stored: 2, duplicates: 0, statuses: 0, skipped: 4 } });
      expect(await messages('m_batch_1')).toHaveLength(1);
      expect(await messages('m_batch_3')).toHaveLength(1);
      expect(await messages('m_batch_4')).toEqual([]);
    });

    it('answers bad input with 4xx, never 5xx: unknown object, no entries, malformed JSON, not JSON, oversized', async () => {
      expect((await post(JSON.stringify({ object: 'user', entry: [] }))).status).toBe(400);
      expect((await post(JSON.stringify({ object: 'page' }))).status).toBe(400);
      expect((await post('{"object":')).status).toBe(400);
      expect((await post('object=page', metaSignature(APP_SECRET, 'object=page'), 'application/x-www-form-urlencoded')).status).toBe(400);
      const big = JSON.stringify({ object: 'page', entry: [], pad: 'x'.repeat(1024 * 1024 + 10) });
      expect((await post(big)).status).toBe(413);
    });

    it('applies WhatsApp statuses to our outbound message, forward only, with the failure reason', async () => {
      const [{ case_id }] = await messages('wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggText1');
      await t.db.query(
        `INSERT INTO message (case_id, direction, channel, text, delivery_status, provider_message_id, sent_at)
         VALUES ($1, 'outbound', 'whatsapp', 'Thanks, logged', 'sent', 'wamid.OUTBOUND1', now()), ($1, 'outbound', 'whatsapp', 'Any news?', 'sent', 'wamid.OUTBOUND2', now())`,
        [case_id],
      );
      expect((await post(fixture('meta', 'whatsapp-status.json'))).body).toEqual({ stored: 0, duplicates: 0, statuses: 3, skipped: 0 });
      const rows = await t.db.query<{ provider_message_id: string; delivery_status: string; delivery_reason: string | null }>(
        `SELECT provider_message_id, delivery_status, delivery_reason FROM message WHERE provider_message_id LIKE 'wamid.OUTBOUND%' ORDER BY provider_message_id`,
      );
      expect(rows).toEqual([
        { provider_message_id: 'wamid.OUTBOUND1', delivery_status: 'read', delivery_reason: null },
        { provider_message_id: 'wamid.OUTBOUND2', delivery_status: 'failed', delivery_reason: expect.stringMatching(/131047.*24 hours/) },
      ]);
    });
  });

  describe('replies through the delivery pipeline', () => {
    async function reply(caseId: string, text: string): Promise<string> {
      const res = await fetch(`${t.url}/api/v1/cases/${caseId}/replies`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${staff.token}` },
        body: JSON.stringify({ text }),
      });
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: string }).id;
    }
    const state = async (id: string) =>
      (await t.db.query<{ delivery_status: DeliveryStatus; provider_message_id: string | null; delivery_reason: string | null }>(`SELECT delivery_status, provider_message_id, delivery_reason FROM message WHERE id = $1`, [id]))[0];

    it('an agent’s reply reaches the Messenger send API, and the delivery receipt marks it delivered', async () => {
      graph.requests.splice(0);
      graph.respond(() => ({ status: 200, body: { recipient_id: 'PSID-7001', message_id: 'm_out_delivered' } }));
      const [{ case_id }] = await messages('m_text_1');
      const id = await reply(case_id, 'A crew will collect it tomorrow.');
      await eventually(async () => expect(await state(id)).toMatchObject({ delivery_status: 'sent', provider_message_id: 'm_out_delivered' }));
      expect(graph.requests[0]).toMatchObject({ path: `/v21.0/${PAGE_ID}/messages`, headers: { authorization: 'Bearer page-token' } });
      expect(graph.requests[0].json).toEqual({ recipient: { id: 'PSID-7001' }, messaging_type: 'RESPONSE', message: { text: 'A crew will collect it tomorrow.' } });
      expect((await post(fixture('meta', 'messenger-delivery.json'))).body).toEqual({ stored: 0, duplicates: 0, statuses: 1, skipped: 0 });
      expect(await state(id)).toMatchObject({ delivery_status: 'delivered' });
      // Messenger's read receipt names no message: everything sent to the person up to its watermark was read.
      const read = JSON.stringify({ object: 'page', entry: [{ id: PAGE_ID, time: Date.now(), messaging: [{ sender: { id: 'PSID-7001' }, recipient: { id: PAGE_ID }, timestamp: Date.now(), read: { watermark: Date.now() } }] }] });
      expect((await post(read)).body).toEqual({ stored: 0, duplicates: 0, statuses: 1, skipped: 0 });
      expect(await state(id)).toMatchObject({ delivery_status: 'read' });
    });

    it('a reply past Messenger’s window fails visibly with the reason', async () => {
      graph.respond(() => ({ status: 400, body: { error: { message: '(#10) This message is sent outside of allowed window.', code: 10, error_subcode: 2018278 } } }));
      const [{ case_id }] = await messages('m_att_1');
      const id = await reply(case_id, 'Sorry for the slow answer.');
      const failed = await eventually(async () => {
        const s = await state(id);
        expect(s.delivery_status).toBe('failed');
        return s;
      });
      expect(failed.delivery_reason).toMatch(/more than 24 hours since the resident's last message/);
    });

    it('a 429 with Retry-After is retried and then sent', async () => {
      graph.respond((_r, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '0' }, body: { error: { message: 'throttled', code: 613 } } } : { status: 200, body: { message_id: 'm_after_429' } }));
      graph.requests.splice(0);
      const [{ case_id }] = await messages('aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx');
      const id = await reply(case_id, 'Yes, 10am to 4pm.');
      await eventually(async () => expect(await state(id)).toMatchObject({ delivery_status: 'sent', provider_message_id: 'm_after_429' }));
      expect(graph.requests.length).toBeGreaterThanOrEqual(2);
      expect(graph.requests[0].headers.authorization).toBe('Bearer ig-token');
    });
  });
});
