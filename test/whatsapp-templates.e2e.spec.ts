import { randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { PermanentDeliveryError } from '../src/channels/channel-adapter';
import { metaSignature } from '../src/channels/meta/meta-signature';
import { TwilioWhatsappAdapter } from '../src/channels/twilio/twilio.adapter';
import { Channel, DeliveryStatus } from '../src/common/enum';
import { InboxesService } from '../src/inboxes/inboxes.service';
import { startTestApp, TestApp } from './support/app';
import { ConsoleClient, connectConsole } from './support/console-client';
import { eventually } from './support/eventually';
import { givenAgent, givenApiInbox, postApiMessage } from './support/given';
import { HttpStandIn, startHttpStandIn } from './support/http-stand-in';
import inboundWhatsapp from './fixtures/twilio/inbound-whatsapp.json';
import { accepted, newSid, startTwilioApiStandIn, TwilioApiStandIn } from './fixtures/twilio/twilio-api-stand-in';

const PUBLIC_BASE_URL = 'https://contact.example-council.gov.uk';
const INBOUND_URL = `${PUBLIC_BASE_URL}/channels/sms/twilio`;
const APP_SECRET = 'templates-meta-app-secret';
const HOUR = 3_600_000;

/** A fresh UK mobile number in the Ofcom drama range. */
const mobile = () => `+447700${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;

/**
 * The WhatsApp template picker's server side: what may be sent on a case (compose options), templates sent through
 * the delivery pipeline to Twilio (ContentSid) and to the WhatsApp Cloud API (template message), free text refused
 * outside the window before anything is stored, and the window re-opened by the resident's next message.
 */
describe('WhatsApp templates and the 24-hour window', () => {
  let t: TestApp;
  let twilioApi: TwilioApiStandIn;
  let graph: HttpStandIn;
  let agent: { token: string };
  let console: ConsoleClient;

  beforeAll(async () => {
    twilioApi = await startTwilioApiStandIn();
    graph = await startHttpStandIn(() => ({ status: 200, body: { messages: [{ id: `wamid.OUT${randomBytes(4).toString('hex')}` }] } }));
    t = await startTestApp({
      env: {
        PUBLIC_BASE_URL,
        TWILIO_API_BASE_URL: twilioApi.url,
        META_APP_SECRET: APP_SECRET,
        META_GRAPH_API_URL: graph.url,
        META_GRAPH_API_VERSION: 'v21.0',
        DELIVERY_MAX_ATTEMPTS: '2',
        DELIVERY_BACKOFF_MS: '20',
        DELIVERY_TIMEOUT_MS: '2000',
      },
    });
    agent = await givenAgent(t);
    console = await connectConsole(t.url, { token: agent.token });
  });
  afterAll(async () => {
    console?.close();
    await t.close();
    await twilioApi.close();
    await graph.close();
  });
  beforeEach(() => {
    twilioApi.respond(accepted);
    twilioApi.requests.splice(0);
    graph.requests.splice(0);
    console.clear();
  });

  async function referenceOf(caseId: string): Promise<string> {
    const [row] = await t.db.query<{ reference: string }>(`SELECT reference FROM "case" WHERE id = $1`, [caseId]);
    return row.reference;
  }

  /** The resident's last message on the case, and their identity's record of it, moved back in time. */
  async function lastWrote(caseId: string, hoursAgo: number): Promise<Date> {
    const at = new Date(Date.now() - hoursAgo * HOUR);
    await t.db.query(`UPDATE message SET created_at = $2 WHERE case_id = $1 AND direction = 'inbound'`, [caseId, at]);
    await t.db.query(`UPDATE identity SET last_inbound_at = $2 WHERE id IN (SELECT identity_id FROM message WHERE case_id = $1 AND direction = 'inbound')`, [caseId, at]);
    return at;
  }

  async function outbound(caseId: string) {
    return t.db.query<{ id: string; text: string; delivery_status: string; delivery_reason: string | null; provider_message_id: string | null }>(
      `SELECT id, text, delivery_status, delivery_reason, provider_message_id FROM message WHERE case_id = $1 AND direction = 'outbound' ORDER BY created_at`,
      [caseId],
    );
  }

  function delivered(messageId: string) {
    return eventually(async () => {
      const [row] = await t.db.query<{ delivery_status: string; delivery_reason: string | null; provider_message_id: string | null }>(
        `SELECT delivery_status, delivery_reason, provider_message_id FROM message WHERE id = $1`,
        [messageId],
      );
      expect(row).toMatchObject({ delivery_status: DeliveryStatus.Sent });
      return row;
    });
  }

  describe('Twilio WhatsApp', () => {
    const caseUpdate = { name: 'case-update', contentSid: `HX${randomBytes(16).toString('hex')}`, text: 'There is an update on your case {{reference}}. Reply to continue.', variables: { '1': '{{ reference }}' } };
    const callBack = { name: 'call-back', contentSid: `HX${randomBytes(16).toString('hex')}`, text: 'We tried to call you about {{reference}}. Please reply with a good time.' };

    interface Account {
      authToken: string;
      accountSid: string;
      number: string;
    }

    async function givenInbox(templates: unknown[] = [caseUpdate, callBack]): Promise<Account> {
      const account = { accountSid: newSid('AC'), authToken: randomBytes(16).toString('hex'), number: mobile() };
      await t.get(InboxesService).create({
        channel: Channel.Whatsapp,
        name: `Twilio WhatsApp ${account.number}`,
        department: 'customer-services',
        address: `whatsapp:${account.number}`,
        settings: { accountSid: account.accountSid, authToken: account.authToken, whatsappTemplates: templates },
      });
      return account;
    }

    /** The resident writes through Twilio's signed webhook. */
    async function residentWrites(account: Account, from: string, body: string): Promise<{ caseId: string; messageId: string }> {
      const params: Record<string, string> = { ...inboundWhatsapp, AccountSid: account.accountSid, MessageSid: newSid('SM'), To: `whatsapp:${account.number}`, From: from, Body: body };
      const res = await fetch(`${t.url}/channels/sms/twilio`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(account.authToken, INBOUND_URL, params) },
        body: new URLSearchParams(params).toString(),
      });
      expect(res.status).toBe(200);
      const [row] = await t.db.query<{ id: string; case_id: string }>(`SELECT id, case_id FROM message WHERE external_id = $1`, [params.MessageSid]);
      return { caseId: row.case_id, messageId: row.id };
    }

    it('25 hours after the resident last wrote: no free text, the templates filled in for the case, and why', async () => {
      const account = await givenInbox();
      const { caseId } = await residentWrites(account, `whatsapp:${mobile()}`, 'Is the tip open on Sunday?');
      const reference = await referenceOf(caseId);
      const wrote = await lastWrote(caseId, 25);

      const ack = await console.send('case:compose-options', { caseId });
      expect(ack).toEqual({
        ok: true,
        compose: {
          freeText: false,
          reason: expect.stringMatching(/^Outside the 24-hour WhatsApp window \(the resident last wrote .*\): only an approved template can be sent until they write again: send one of the approved templates \(case-update, call-back\)$/),
          lastInboundAt: wrote.toISOString(),
          windowClosesAt: new Date(wrote.getTime() + 24 * HOUR).toISOString(),
          templates: [
            { id: 'case-update', name: 'case-update', text: `There is an update on your case ${reference}. Reply to continue.`, variables: { '1': reference }, language: null },
            { id: 'call-back', name: 'call-back', text: `We tried to call you about ${reference}. Please reply with a good time.`, variables: {}, language: null },
          ],
        },
      });
      // case:open brings the same, so the page draws the right composer at once.
      const opened = await console.send('case:open', { caseId });
      expect(opened).toMatchObject({ ok: true, compose: (ack as { ok: true; compose: unknown }).compose });
      // And the staff API.
      const rest = await fetch(`${t.url}/api/v1/cases/${caseId}/compose-options`, { headers: { authorization: `Bearer ${agent.token}` } });
      expect(rest.status).toBe(200);
      expect(await rest.json()).toEqual((ack as { ok: true; compose: unknown }).compose);
    });

    it('refuses free text outside the window before storing it; a template goes to Twilio as ContentSid and ContentVariables', async () => {
      const account = await givenInbox();
      const from = `whatsapp:${mobile()}`;
      const { caseId } = await residentWrites(account, from, 'Is the tip open on Sunday?');
      const reference = await referenceOf(caseId);
      await lastWrote(caseId, 25);

      const refused = await console.send('case:reply', { caseId, text: 'Sorry for the delay' });
      expect(refused).toMatchObject({
        ok: false,
        error: { code: 'Conflict', message: expect.stringMatching(/^Reply not sent: Outside the 24-hour WhatsApp window/), details: { reason: 'templates-only', templates: ['case-update', 'call-back'] } },
      });
      expect(await outbound(caseId)).toEqual([]);

      const sent = await console.send('case:reply', { caseId, templateId: 'case-update', clientId: 'c-1' });
      expect(sent).toMatchObject({ ok: true, clientId: 'c-1', message: { direction: 'outbound', text: `There is an update on your case ${reference}. Reply to continue.`, deliveryStatus: 'queued' } });
      const row = await delivered((sent as { ok: true; message: { id: string } }).message.id);
      expect(twilioApi.requests).toHaveLength(1);
      expect(twilioApi.requests[0].form).toEqual({
        To: from,
        From: `whatsapp:${account.number}`,
        ContentSid: caseUpdate.contentSid,
        ContentVariables: JSON.stringify({ '1': reference }),
        StatusCallback: `${PUBLIC_BASE_URL}/channels/sms/twilio/status`,
      });
      expect(row.provider_message_id).toMatch(/^SM/);
      // A template without variables: ContentSid alone; chosen by name through the staff API.
      const res = await fetch(`${t.url}/api/v1/cases/${caseId}/replies`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${agent.token}` },
        body: JSON.stringify({ templateId: 'call-back' }),
      });
      expect(res.status).toBe(201);
      await delivered(((await res.json()) as { id: string }).id);
      expect(twilioApi.requests[1].form).toEqual({ To: from, From: `whatsapp:${account.number}`, ContentSid: callBack.contentSid, StatusCallback: `${PUBLIC_BASE_URL}/channels/sms/twilio/status` });
    });

    it('a new message from the resident re-opens the window: the options say so, and free text goes as Body', async () => {
      const account = await givenInbox();
      const from = `whatsapp:${mobile()}`;
      const { caseId } = await residentWrites(account, from, 'First message');
      await lastWrote(caseId, 30);
      await console.send('case:open', { caseId });
      expect(await console.send('case:compose-options', { caseId })).toMatchObject({ ok: true, compose: { freeText: false } });
      console.clear();

      const before = Date.now();
      const { caseId: sameCase, messageId } = await residentWrites(account, from, 'Are you still there?');
      expect(sameCase).toBe(caseId);
      // The case room hears of it: the page asks again.
      await console.waitFor('message:created', (p: { message: { id: string } }) => p.message.id === messageId);
      const ack = (await console.send('case:compose-options', { caseId })) as { ok: true; compose: { freeText: boolean; reason: string | null; windowClosesAt: string; templates: unknown[] } };
      expect(ack.compose).toMatchObject({ freeText: true, reason: null, templates: [expect.objectContaining({ id: 'case-update' }), expect.objectContaining({ id: 'call-back' })] });
      expect(Date.parse(ack.compose.windowClosesAt)).toBeGreaterThanOrEqual(before + 24 * HOUR - 1000);

      const sent = await console.send('case:reply', { caseId, text: 'Yes, how can we help?' });
      expect(sent).toMatchObject({ ok: true });
      await delivered((sent as { ok: true; message: { id: string } }).message.id);
      expect(twilioApi.requests[0].form).toMatchObject({ To: from, Body: 'Yes, how can we help?' });
    });

    it('names the problem: an unknown template, text and a template together, neither', async () => {
      const account = await givenInbox();
      const { caseId } = await residentWrites(account, `whatsapp:${mobile()}`, 'Hello');
      await lastWrote(caseId, 25);

      expect(await console.send('case:reply', { caseId, templateId: 'no-such' })).toMatchObject({
        ok: false,
        error: { code: 'Validation', message: 'templateId: no approved template "no-such" on this case\'s inbox (it has case-update, call-back)' },
      });
      expect(await console.send('case:reply', { caseId, templateId: 'case-update', text: 'Hi' })).toMatchObject({ ok: false, error: { code: 'Validation', message: expect.stringMatching(/either text or templateId/) } });
      expect(await console.send('case:reply', { caseId })).toMatchObject({ ok: false, error: { code: 'Validation' } });
      expect(await console.send('case:compose-options', { caseId: 'not-a-uuid' })).toMatchObject({ ok: false, error: { code: 'Validation' } });
      expect(await outbound(caseId)).toEqual([]);
    });

    it('an inbox without templates says so; free text past the window is refused there too', async () => {
      const account = await givenInbox([]);
      const { caseId } = await residentWrites(account, `whatsapp:${mobile()}`, 'Hello');
      await lastWrote(caseId, 48);
      expect(await console.send('case:compose-options', { caseId })).toMatchObject({
        ok: true,
        compose: { freeText: false, templates: [], reason: expect.stringMatching(/this inbox has no templates configured/) },
      });
      expect(await console.send('case:reply', { caseId, text: 'Hello again' })).toMatchObject({ ok: false, error: { code: 'Conflict' } });
    });

    it('still refuses at delivery what slipped past (the window closed between the reply and its sending), without calling Twilio', async () => {
      const adapter = new TwilioWhatsappAdapter({ apiBaseUrl: twilioApi.url, timeoutMs: 2000, recipientState: async () => ({ optedOutAt: null, lastInboundAt: new Date(Date.now() - 25 * HOUR) }) });
      const inbox = { id: 'i', channel: Channel.Whatsapp, name: 'x', address: 'whatsapp:+447700900001', departmentId: 'd', secret: 's', settings: { accountSid: newSid('AC'), authToken: 'a'.repeat(32), whatsappTemplates: [caseUpdate] } };
      const msg = { messageId: 'm', caseId: 'c', caseReference: 'WC-1', to: { address: '+447700900002' }, text: 'Free text', attachments: [], sentAt: new Date() };
      await expect(adapter.send(msg, inbox)).rejects.toThrow(PermanentDeliveryError);
      await expect(adapter.send(msg, inbox)).rejects.toThrow(/approved templates \(case-update\)/);
      expect(twilioApi.requests).toHaveLength(0);
    });
  });

  describe('WhatsApp Cloud (Meta)', () => {
    const caseUpdate = {
      name: 'case_update',
      language: 'en_GB',
      text: 'There is an update on your case {{reference}}. Reply to continue.',
      components: [{ type: 'body', parameters: [{ type: 'text', text: '{{reference}}' }] }],
    };
    const hello = { name: 'hello_again', language: 'cy', text: 'Helo eto.' };

    async function givenCloudInbox(settings: Record<string, unknown> = {}): Promise<string> {
      const phoneNumberId = `PNID-${randomBytes(4).toString('hex')}`;
      await t.get(InboxesService).create({
        channel: Channel.Whatsapp,
        name: `WhatsApp Cloud ${phoneNumberId}`,
        department: 'customer-services',
        address: phoneNumberId,
        settings: { provider: 'meta', accessToken: 'wa-token', whatsappTemplates: [caseUpdate, hello], ...settings },
      });
      return phoneNumberId;
    }

    /** A signed webhook POST with one WhatsApp text message from `waId`. */
    async function residentWrites(phoneNumberId: string, waId: string, body: string): Promise<string> {
      const wamid = `wamid.IN${randomBytes(6).toString('hex')}`;
      const payload = JSON.stringify({
        object: 'whatsapp_business_account',
        entry: [
          {
            id: 'WABA-1',
            changes: [
              {
                field: 'messages',
                value: {
                  messaging_product: 'whatsapp',
                  metadata: { display_phone_number: '447700900000', phone_number_id: phoneNumberId },
                  contacts: [{ profile: { name: 'Grace Hopper' }, wa_id: waId }],
                  messages: [{ from: waId, id: wamid, timestamp: String(Math.floor(Date.now() / 1000)), type: 'text', text: { body } }],
                },
              },
            ],
          },
        ],
      });
      const res = await fetch(`${t.url}/channels/meta`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': metaSignature(APP_SECRET, payload) }, body: payload });
      expect(res.status).toBe(200);
      const [row] = await t.db.query<{ case_id: string }>(`SELECT case_id FROM message WHERE external_id = $1`, [wamid]);
      return row.case_id;
    }

    it('keeps the window on the identity, lists the Meta templates past it, and sends the chosen one to the Graph API', async () => {
      const phoneNumberId = await givenCloudInbox();
      const waId = mobile().slice(1);
      const before = new Date(Date.now() - 1000);
      const caseId = await residentWrites(phoneNumberId, waId, 'A question about my council tax account');
      const [identity] = await t.db.query<{ last_inbound_at: Date }>(`SELECT last_inbound_at FROM identity WHERE id IN (SELECT identity_id FROM message WHERE case_id = $1)`, [caseId]);
      expect(identity.last_inbound_at.getTime()).toBeGreaterThanOrEqual(before.getTime());
      const reference = await referenceOf(caseId);
      expect(await console.send('case:compose-options', { caseId })).toMatchObject({ ok: true, compose: { freeText: true, reason: null } });

      await lastWrote(caseId, 25);
      expect(await console.send('case:compose-options', { caseId })).toMatchObject({
        ok: true,
        compose: {
          freeText: false,
          reason: expect.stringMatching(/approved templates \(case_update, hello_again\)/),
          templates: [
            { id: 'case_update:en_GB', name: 'case_update', language: 'en_GB', text: `There is an update on your case ${reference}. Reply to continue.`, variables: { 'body.1': reference } },
            { id: 'hello_again:cy', name: 'hello_again', language: 'cy', text: 'Helo eto.', variables: {} },
          ],
        },
      });
      expect(await console.send('case:reply', { caseId, text: 'Typed' })).toMatchObject({ ok: false, error: { code: 'Conflict' } });

      const sent = (await console.send('case:reply', { caseId, templateId: 'case_update:en_GB' })) as { ok: true; message: { id: string; text: string } };
      expect(sent.message.text).toBe(`There is an update on your case ${reference}. Reply to continue.`);
      const row = await delivered(sent.message.id);
      expect(row.provider_message_id).toMatch(/^wamid\.OUT/);
      expect(graph.requests).toHaveLength(1);
      expect(graph.requests[0].path).toBe(`/v21.0/${phoneNumberId}/messages`);
      expect(graph.requests[0].headers.authorization).toBe('Bearer wa-token');
      expect(graph.requests[0].json).toEqual({
        messaging_product: 'whatsapp',
        recipient_type: 'individual',
        to: waId,
        type: 'template',
        template: { name: 'case_update', language: { code: 'en_GB' }, components: [{ type: 'body', parameters: [{ type: 'text', text: reference }] }] },
      });

      // By name, a template without parameters: no components at all.
      const byName = (await console.send('case:reply', { caseId, templateId: 'hello_again' })) as { ok: true; message: { id: string } };
      await delivered(byName.message.id);
      expect(graph.requests[1].json).toMatchObject({ type: 'template', template: { name: 'hello_again', language: { code: 'cy' } } });
      expect(graph.requests[1].json.template).not.toHaveProperty('components');
    });

    it('with a reply template configured, typed replies may still go past the window (inside that template), and it says so', async () => {
      const phoneNumberId = await givenCloudInbox({ replyTemplate: { name: 'council_reply', language: 'en_GB' } });
      const caseId = await residentWrites(phoneNumberId, mobile().slice(1), 'Hello');
      await lastWrote(caseId, 25);
      expect(await console.send('case:compose-options', { caseId })).toMatchObject({
        ok: true,
        compose: { freeText: true, reason: expect.stringMatching(/inside the approved template “council_reply”/), templates: [expect.anything(), expect.anything()] },
      });
    });
  });

  it('other channels have no window: free text, no templates', async () => {
    const { token } = await givenApiInbox(t);
    const posted = await postApiMessage(t, token, { externalId: `ext-${randomBytes(4).toString('hex')}`, from: { address: 'partner-1' }, text: 'Hello' });
    expect(posted.status).toBe(201);
    expect(await console.send('case:compose-options', { caseId: posted.body.caseId })).toEqual({
      ok: true,
      compose: { freeText: true, reason: null, lastInboundAt: null, windowClosesAt: null, templates: [] },
    });
  });
});
