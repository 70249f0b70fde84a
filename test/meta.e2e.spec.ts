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
/** messenger-echo.json carries this app id: with it configured, that echo is one of ours. */
const OUR_APP_ID = '1234567890';

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
        META_APP_ID: OUR_APP_ID,
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

    it('ignores echoes of our own replies (our app id)', async () => {
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
      // Its media job (the stand-in answers without a download URL) ends before later tests watch the stand-in.
      await eventually(async () => expect((await messages('wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggImage1'))[0].attachments).toEqual([expect.objectContaining({ error: expect.any(String) })]));
    });

    it('processes the good events of a batch and skips the bad ones (a missing mid, a non-object entry, an unknown page, an opt-in)', async () => {
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
      expect(graph.requests[0].json).toEqual({ recipient: { id: 'PSID-7001' }, messaging_type: 'RESPONSE', message: { text: 'A crew will collect it tomorrow.', metadata: `contact-hub:${id}` } });
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
  describe('echoes, postbacks and reactions', () => {
    const rowsOf = (caseId: string) =>
      t.db.query<{ direction: string; text: string; delivery_status: string | null; external_id: string | null; provider_message_id: string | null }>(
        `SELECT direction, text, delivery_status, external_id, provider_message_id FROM message WHERE case_id = $1 ORDER BY created_at, id`,
        [caseId],
      );

    it('stores a page message sent outside the hub (Meta Business Suite) as an outbound message, sent, once', async () => {
      graph.requests.splice(0);
      const [{ case_id }] = await messages('m_text_1');
      const body = fixture('meta', 'messenger-echo-outside.json');
      expect((await post(body)).body).toEqual({ stored: 1, duplicates: 0, statuses: 0, skipped: 0 });
      expect((await post(body)).body).toEqual({ stored: 0, duplicates: 1, statuses: 0, skipped: 0 });
      const echoed = (await rowsOf(case_id)).filter((r) => r.external_id === 'm_echo_suite_1');
      expect(echoed).toEqual([
        { direction: 'outbound', text: 'Hi, this is Sam from the council: the crew is on its way.', delivery_status: 'sent', external_id: 'm_echo_suite_1', provider_message_id: null },
      ]);
      await new Promise((r) => setTimeout(r, 200)); // the delivery job it triggers must leave it alone
      expect(graph.requests).toHaveLength(0);
      expect((await rowsOf(case_id)).find((r) => r.external_id === 'm_echo_suite_1')?.delivery_status).toBe('sent');
    });

    it('ignores the echo of a reply we sent with our metadata', async () => {
      expect((await post(fixture('meta', 'messenger-echo-ours.json'))).body).toEqual({ stored: 0, duplicates: 0, statuses: 0, skipped: 1 });
      expect(await messages('m_echo_ours_1')).toEqual([]);
    });

    it('ignores an Instagram echo of our reply that arrives before the Graph API answered, and after', async () => {
      const [{ case_id }] = await messages('aWdfZAG1faXRlbToxOklHTWVzc2FnZAUlEOjE3ODQx');
      graph.requests.splice(0);
      graph.respond(() => ({ status: 200, body: { message_id: 'ig_mid_echoed' }, delayMs: 600 }));
      const res = await fetch(`${t.url}/api/v1/cases/${case_id}/replies`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${staff.token}` },
        body: JSON.stringify({ text: 'The library opens at 10.' }),
      });
      expect(res.status).toBe(201);
      await eventually(async () => expect(graph.requests).toHaveLength(1)); // in flight: Meta echoes before it answers
      const echo = (mid: string) =>
        JSON.stringify({
          object: 'instagram',
          entry: [{ id: '17841400000000001', time: Date.now(), messaging: [{ sender: { id: '17841400000000001' }, recipient: { id: 'IGSID-5001' }, timestamp: Date.now(), message: { mid, is_echo: true, text: 'The library opens at 10.' } }] }],
        });
      expect((await post(echo('ig_mid_echoed'))).body).toMatchObject({ stored: 0, skipped: 1 });
      await eventually(async () => expect((await rowsOf(case_id)).some((r) => r.provider_message_id === 'ig_mid_echoed')).toBe(true));
      expect((await post(echo('ig_mid_echoed'))).body).toMatchObject({ stored: 0, skipped: 1 });
      expect((await rowsOf(case_id)).filter((r) => r.text === 'The library opens at 10.')).toHaveLength(1);
    });

    it('takes postbacks (button taps) as the resident’s text on their case', async () => {
      const [{ case_id }] = await messages('m_text_1');
      expect((await post(fixture('meta', 'messenger-postback.json'))).body).toEqual({ stored: 2, duplicates: 0, statuses: 0, skipped: 0 });
      expect(await messages('m_postback_1')).toEqual([expect.objectContaining({ case_id, text: 'Report a missed bin' })]);
      expect(await messages('postback:PSID-7001:1764230022500')).toEqual([expect.objectContaining({ case_id, text: 'TALK_TO_SOMEONE' })]);
    });

    it('records reactions as system messages on the case of the message reacted to, once each', async () => {
      const [{ case_id }] = await messages('m_text_1');
      const body = fixture('meta', 'messenger-reaction.json');
      expect((await post(body)).body).toEqual({ stored: 2, duplicates: 0, statuses: 0, skipped: 0 });
      expect((await post(body)).body).toEqual({ stored: 0, duplicates: 2, statuses: 0, skipped: 0 });
      const system = (await rowsOf(case_id)).filter((r) => r.direction === 'system').map((r) => r.text);
      expect(system).toEqual(['The resident reacted ❤️ to “The bin on Café Street wasn’t collected — £ charge?”', 'The resident removed their reaction to “The bin on Café Street wasn’t collected — £ charge?”']);

      const [wa] = await messages('wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggText1');
      expect((await post(fixture('meta', 'whatsapp-reaction.json'))).body).toEqual({ stored: 1, duplicates: 0, statuses: 0, skipped: 0 });
      expect((await rowsOf(wa.case_id)).filter((r) => r.direction === 'system').map((r) => r.text)).toEqual(['The resident reacted 👍 to “Pothole outside number 12, Mill Lane”']);
    });

    it('skips a reaction to a message it does not know, and an echo to someone without an open case', async () => {
      const reaction = JSON.stringify({ object: 'page', entry: [{ id: PAGE_ID, time: 1, messaging: [{ sender: { id: 'PSID-7001' }, recipient: { id: PAGE_ID }, timestamp: 1, reaction: { mid: 'm_unknown', action: 'react', emoji: '😮' } }] }] });
      const echo = JSON.stringify({ object: 'page', entry: [{ id: PAGE_ID, time: 1, messaging: [{ sender: { id: PAGE_ID }, recipient: { id: 'PSID-NOBODY' }, timestamp: 1, message: { mid: 'm_echo_nobody', is_echo: true, text: 'Hello' } }] }] });
      expect((await post(reaction)).body).toEqual({ stored: 0, duplicates: 0, statuses: 0, skipped: 1 });
      expect((await post(echo)).body).toEqual({ stored: 0, duplicates: 0, statuses: 0, skipped: 1 });
      expect(await messages('m_echo_nobody')).toEqual([]);
    });
  });
  describe('media stored on arrival (a job after the webhook is answered)', () => {
    const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');
    const JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000ffdb', 'hex');
    type Attachment = { id?: string; url?: string; sourceUrl?: string; error?: string; contentType: string; size: number };

    const settled = (externalId: string) =>
      eventually(async () => {
        const [row] = await messages(externalId);
        const [a] = row.attachments as Attachment[];
        expect(a.id ?? a.error).toBeDefined();
        return a;
      });

    it('WhatsApp Cloud: the media id’s URL from the Graph API, then the bytes, both with the inbox’s token', async () => {
      graph.requests.splice(0);
      graph.respond((req) =>
        req.path === '/v21.0/MEDIA-3001'
          ? { status: 200, body: { url: `${graph.url}/whatsapp/media/3001?ext=1`, mime_type: 'image/png', file_size: PNG.length, id: 'MEDIA-3001' } }
          : req.path.startsWith('/whatsapp/media/3001')
            ? { status: 200, body: PNG, headers: { 'content-type': 'image/png' } }
            : { status: 404, body: {} },
      );
      const wamid = `wamid.MEDIA${Date.now()}`;
      const body = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [{ id: 'WABA-1', changes: [{ field: 'messages', value: { messaging_product: 'whatsapp', metadata: { phone_number_id: 'PNID-3001' }, contacts: [{ profile: { name: 'Ada' }, wa_id: '447700900123' }], messages: [{ from: '447700900123', id: wamid, timestamp: '1764230030', type: 'image', image: { id: 'MEDIA-3001', mime_type: 'image/png', caption: 'The pothole' } }] } }] }],
      });
      expect((await post(body)).body).toMatchObject({ stored: 1 });
      const stored = await settled(wamid);
      expect(stored).toMatchObject({ id: expect.any(String), contentType: 'image/png', size: PNG.length, url: `/api/v1/attachments/${stored.id}`, sourceUrl: `${graph.url}/v21.0/MEDIA-3001` });
      expect(graph.requests.map((r) => [r.path, r.headers.authorization])).toEqual([
        ['/v21.0/MEDIA-3001', 'Bearer wa-token'],
        ['/whatsapp/media/3001?ext=1', 'Bearer wa-token'],
      ]);
      const [{ case_id }] = await messages(wamid);
      expect((await t.db.query<{ case_id: string }>(`SELECT case_id FROM attachment WHERE id = $1`, [stored.id]))[0].case_id).toBe(case_id);
    });

    it('Messenger: the attachment’s CDN URL fetched without credentials; a URL off Meta’s hosts is refused and noted', async () => {
      graph.requests.splice(0);
      graph.respond((req) => (req.path === '/cdn/photo.jpg' ? { status: 200, body: JPEG, headers: { 'content-type': 'image/jpeg' } } : { status: 404, body: {} }));
      const event = (mid: string, url: string) =>
        JSON.stringify({ object: 'page', entry: [{ id: PAGE_ID, time: 1, messaging: [{ sender: { id: 'PSID-7001' }, recipient: { id: PAGE_ID }, timestamp: 1764230031000, message: { mid, attachments: [{ type: 'image', payload: { url } }] } }] }] });
      expect((await post(event('m_media_ok', `${graph.url}/cdn/photo.jpg`))).body).toMatchObject({ stored: 1 });
      expect((await post(event('m_media_elsewhere', 'https://attacker.example/photo.jpg'))).body).toMatchObject({ stored: 1 });
      expect(await settled('m_media_ok')).toMatchObject({ id: expect.any(String), contentType: 'image/jpeg', size: JPEG.length });
      expect(graph.requests.map((r) => [r.path, r.headers.authorization])).toEqual([['/cdn/photo.jpg', undefined]]);
      const refused = await settled('m_media_elsewhere');
      expect(refused).toMatchObject({ url: 'https://attacker.example/photo.jpg', error: expect.stringMatching(/only fetched from the provider's own hosts/) });
      expect(refused.id).toBeUndefined();
    });
  });
});
