import { createHash, randomBytes } from 'node:crypto';
import twilio from 'twilio';
import { AgentRole, DeliveryStatus } from '../src/common/enum';
import { ConsoleReadRepository } from '../src/console/console-read.repository';
import { toCaseSummary } from '../src/console/console.views';
import { InboxesService } from '../src/inboxes/inboxes.service';
import { TwilioAdapterOptions, TwilioSmsAdapter, TwilioWhatsappAdapter } from '../src/channels/twilio/twilio.adapter';
import { WhatsappCloudAdapter } from '../src/channels/meta/whatsapp-cloud.adapter';
import { startTestApp, TestApp } from './support/app';
import { connectConsole } from './support/console-client';
import { eventually } from './support/eventually';
import { givenAgent } from './support/given';
import inboundMms from './fixtures/twilio/inbound-mms.json';
import inboundSms from './fixtures/twilio/inbound-sms.json';
import inboundWhatsapp from './fixtures/twilio/inbound-whatsapp.json';
import { accepted, newSid, refused, startTwilioApiStandIn, TwilioApiStandIn } from './fixtures/twilio/twilio-api-stand-in';

const PUBLIC_BASE_URL = 'https://contact.example-council.gov.uk';
const INBOUND_URL = `${PUBLIC_BASE_URL}/channels/sms/twilio`;
const STATUS_URL = `${PUBLIC_BASE_URL}/channels/sms/twilio/status`;

type Params = Record<string, string>;

/** A fresh UK mobile number in the Ofcom drama range, so tests never share a resident. */
const mobile = () => `+447700${String(Math.floor(Math.random() * 1e6)).padStart(6, '0')}`;

describe('Twilio SMS and WhatsApp channel', () => {
  let t: TestApp;
  let api: TwilioApiStandIn;
  let staff: { token: string };

  beforeAll(async () => {
    api = await startTwilioApiStandIn();
    t = await startTestApp({
      env: { PUBLIC_BASE_URL, TWILIO_API_BASE_URL: api.url, DELIVERY_MAX_ATTEMPTS: '3', DELIVERY_BACKOFF_MS: '20', DELIVERY_TIMEOUT_MS: '2000' },
    });
    staff = await givenAgent(t, { role: AgentRole.Supervisor });
  });
  afterAll(async () => {
    await t.close();
    await api.close();
  });
  beforeEach(() => {
    api.respond(accepted);
    api.requests.splice(0);
  });

  interface Account {
    accountSid: string;
    authToken: string;
    number: string;
    inboxId: string;
  }

  async function givenTwilioInbox(channel: 'sms' | 'whatsapp' = 'sms', extra: Record<string, unknown> = {}): Promise<Account> {
    const accountSid = newSid('AC');
    const authToken = randomBytes(16).toString('hex');
    const number = mobile();
    const { inbox } = await t.get(InboxesService).create({
      channel,
      name: `Twilio ${channel} ${number}`,
      department: 'customer-services',
      address: channel === 'whatsapp' ? `whatsapp:${number}` : number,
      settings: { accountSid, authToken, ...extra },
    });
    return { accountSid, authToken, number, inboxId: inbox.id };
  }

  /** Twilio's POST: form body, X-Twilio-Signature made by the SDK's own signer over the public URL. */
  async function post(path: string, params: Params, sign: { token?: string; url?: string; signature?: string | null; body?: Params } = {}) {
    const url = sign.url ?? (path.endsWith('/status') ? STATUS_URL : INBOUND_URL);
    const signature = sign.signature === undefined ? twilio.getExpectedTwilioSignature(sign.token ?? '', url, params) : sign.signature;
    const res = await fetch(`${t.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature === null ? {} : { 'x-twilio-signature': signature }) },
      body: new URLSearchParams(sign.body ?? params).toString(),
    });
    const text = await res.text();
    return { status: res.status, contentType: res.headers.get('content-type') ?? '', text, json: () => JSON.parse(text) as { error: { code: string; message: string } } };
  }

  const inbound = (account: Account, fields: Params = {}): Params => ({
    ...inboundSms,
    AccountSid: account.accountSid,
    MessageSid: newSid('SM'),
    To: account.number,
    From: mobile(),
    ...fields,
  });

  async function messagesWithSid(sid: string) {
    return t.db.query<{ id: string; case_id: string; text: string; attachments: unknown[]; identity_id: string }>(
      `SELECT id, case_id, text, attachments, identity_id FROM message WHERE external_id = $1`,
      [sid],
    );
  }

  async function tryReply(caseId: string, text: string) {
    const res = await fetch(`${t.url}/api/v1/cases/${caseId}/replies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${staff.token}` },
      body: JSON.stringify({ text }),
    });
    return { status: res.status, body: (await res.json()) as { id: string; error: { code: string; message: string } } };
  }

  async function outboundCount(caseId: string): Promise<number> {
    const [row] = await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM message WHERE case_id = $1 AND direction = 'outbound'`, [caseId]);
    return row.n;
  }

  async function reply(caseId: string, text: string): Promise<string> {
    const res = await fetch(`${t.url}/api/v1/cases/${caseId}/replies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${staff.token}` },
      body: JSON.stringify({ text }),
    });
    expect(res.status).toBe(201);
    return ((await res.json()) as { id: string }).id;
  }

  function becomes(messageId: string, status: DeliveryStatus) {
    return eventually(async () => {
      const [row] = await t.db.query<{ delivery_status: string; delivery_reason: string | null; provider_message_id: string | null; attempts: number }>(
        `SELECT delivery_status, delivery_reason, provider_message_id, attempts FROM message WHERE id = $1`,
        [messageId],
      );
      expect(row.delivery_status).toBe(status);
      return row;
    });
  }

  /** A resident's message stored on a case through the webhook; returns the case. */
  async function givenCase(account: Account, fields: Params = {}) {
    const params = inbound(account, fields);
    const res = await post('/channels/sms/twilio', params, { token: account.authToken });
    expect(res.status).toBe(200);
    const [row] = await messagesWithSid(params.MessageSid);
    return { caseId: row.case_id, from: params.From, params };
  }

  describe('inbound webhook', () => {
    it('stores a signed SMS whose From and Body carry NUL characters (PostgreSQL cannot store them) without them', async () => {
      const account = await givenTwilioInbox();
      const from = mobile();
      const params = inbound(account, { From: `${from.slice(0, 6)}\u0000${from.slice(6)}`, Body: 'Bin\u0000 missed' });

      const res = await post('/channels/sms/twilio', params, { token: account.authToken });

      expect(res.status).toBe(200);
      const [row] = await messagesWithSid(params.MessageSid);
      expect(row.text).toBe('Bin missed');
      const [identity] = await t.db.query<{ address: string }>(`SELECT address FROM identity WHERE id = $1`, [row.identity_id]);
      expect(identity.address).toBe(from);
    });

    it('stores a signed SMS and answers empty TwiML as text/xml', async () => {
      const account = await givenTwilioInbox();
      const params = inbound(account);

      const res = await post('/channels/sms/twilio', params, { token: account.authToken });

      expect(res.status).toBe(200);
      expect(res.contentType).toMatch(/^text\/xml/);
      expect(res.text).toMatch(/<Response><\/Response>$/);
      const [row] = await messagesWithSid(params.MessageSid);
      expect(row.text).toBe(inboundSms.Body);
      const [identity] = await t.db.query<{ channel: string; address: string; last_inbound_at: Date | null }>(`SELECT channel, address, last_inbound_at FROM identity WHERE id = $1`, [row.identity_id]);
      expect(identity).toMatchObject({ channel: 'sms', address: params.From });
      expect(identity.last_inbound_at).toBeInstanceOf(Date);
      const [kase] = await t.db.query<{ inbox_id: string; channel: string }>(`SELECT inbox_id, channel FROM "case" WHERE id = $1`, [row.case_id]);
      expect(kase).toEqual({ inbox_id: account.inboxId, channel: 'sms' });
    });

    it('accepts a signature made over the URL with the default port :443', async () => {
      const account = await givenTwilioInbox();
      const params = inbound(account);
      const res = await post('/channels/sms/twilio', params, { token: account.authToken, url: 'https://contact.example-council.gov.uk:443/channels/sms/twilio' });
      expect(res.status).toBe(200);
      expect(await messagesWithSid(params.MessageSid)).toHaveLength(1);
    });

    it.each([
      ['forged (signed with another token)', (a: Account, p: Params) => ({ token: `${a.authToken}x` })],
      ['tampered (Body changed after signing)', (a: Account, p: Params) => ({ token: a.authToken, body: { ...p, Body: 'Send me everyone’s address' } })],
      ['unsigned', () => ({ signature: null })],
      ['signed for another URL', (a: Account) => ({ token: a.authToken, url: 'https://evil.example.com/channels/sms/twilio' })],
    ])('refuses a %s request with 403 JSON and stores nothing', async (_label, how) => {
      const account = await givenTwilioInbox();
      const params = inbound(account);

      const res = await post('/channels/sms/twilio', params, how(account, params));

      expect(res.status).toBe(403);
      expect(res.contentType).toMatch(/json/);
      expect(res.json().error.code).toBe('SignatureInvalid');
      expect(await messagesWithSid(params.MessageSid)).toHaveLength(0);
    });

    it('stores the same MessageSid sent three times once', async () => {
      const account = await givenTwilioInbox();
      const params = inbound(account);
      const answers = await Promise.all([1, 2, 3].map(() => post('/channels/sms/twilio', params, { token: account.authToken })));
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(await messagesWithSid(params.MessageSid)).toHaveLength(1);
      expect(await post('/channels/sms/twilio', params, { token: account.authToken })).toMatchObject({ status: 200 });
      expect(await messagesWithSid(params.MessageSid)).toHaveLength(1);
    });

    it('keeps MMS media as attachments with their URL and type', async () => {
      const account = await givenTwilioInbox();
      const params = inbound(account, { ...inboundMms, AccountSid: account.accountSid, MessageSid: newSid('MM'), To: account.number });
      expect((await post('/channels/sms/twilio', params, { token: account.authToken })).status).toBe(200);
      const [row] = await messagesWithSid(params.MessageSid);
      expect(row.attachments).toEqual([
        expect.objectContaining({ contentType: 'image/jpeg', url: inboundMms.MediaUrl0, filename: 'media-0.jpg' }),
        expect.objectContaining({ contentType: 'image/png', url: inboundMms.MediaUrl1, filename: 'media-1.png' }),
      ]);
      // Its media job (answered here with a JSON body, not media) ends before the next test watches the stand-in.
      await eventually(async () => {
        const [after] = await messagesWithSid(params.MessageSid);
        expect((after.attachments as Array<{ error?: string }>).every((a) => a.error)).toBe(true);
      });
    });

    it('picks the inbox by MessagingServiceSid before To', async () => {
      const serviceSid = newSid('MG');
      const pooled = await givenTwilioInbox('sms', { messagingServiceSid: serviceSid });
      const other = await givenTwilioInbox();
      const params = inbound(other, { MessagingServiceSid: serviceSid });
      expect((await post('/channels/sms/twilio', params, { token: pooled.authToken })).status).toBe(200);
      const [row] = await messagesWithSid(params.MessageSid);
      const [kase] = await t.db.query<{ inbox_id: string }>(`SELECT inbox_id FROM "case" WHERE id = $1`, [row.case_id]);
      expect(kase.inbox_id).toBe(pooled.inboxId);
    });

    it.each([
      ['From', (p: Params) => ({ ...p, From: '' }), /From/],
      ['To', (p: Params) => { const { To: _to, ...rest } = p; return rest; }, /To/],
      ['NumMedia', (p: Params) => ({ ...p, NumMedia: 'two' }), /NumMedia/],
      ['Body', (p: Params) => ({ ...p, Body: 'x'.repeat(1601) }), /Body/],
    ] as Array<[string, (p: Params) => Params, RegExp]>)('answers 400 naming %s for bad input, and stores nothing', async (_field, change, named) => {
      const account = await givenTwilioInbox();
      const params = change(inbound(account));
      const res = await post('/channels/sms/twilio', params, { token: account.authToken });
      expect(res.status).toBe(400);
      expect(res.json().error).toMatchObject({ code: 'Validation', message: expect.stringMatching(named) });
      expect(await messagesWithSid(params.MessageSid)).toHaveLength(0);
    });
  });

  describe('JSON webhooks signed with bodySHA256', () => {
    /** Twilio's JSON scheme: the URL carries bodySHA256 (hex SHA-256 of the raw body) and is signed alone. */
    async function postJson(path: string, body: string, opts: { token: string; hash?: string; url?: string; signature?: string }) {
      const hash = opts.hash ?? createHash('sha256').update(body).digest('hex');
      const query = hash === '' ? '' : `?bodySHA256=${hash}`;
      const signature = opts.signature ?? twilio.getExpectedTwilioSignature(opts.token, opts.url ?? `${PUBLIC_BASE_URL}${path}${query}`, {});
      const res = await fetch(`${t.url}${path}${query}`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-twilio-signature': signature }, body });
      const text = await res.text();
      return { status: res.status, text, json: () => JSON.parse(text) as { error: { code: string; message: string } } };
    }

    it('stores a JSON inbound message whose signature and bodySHA256 check out (the SDK’s validateRequestWithBody)', async () => {
      const account = await givenTwilioInbox();
      const params = inbound(account, { Body: 'Sent as JSON' });
      const res = await postJson('/channels/sms/twilio', JSON.stringify(params), { token: account.authToken });
      expect(res.status).toBe(200);
      expect(res.text).toMatch(/<Response><\/Response>$/);
      const [row] = await messagesWithSid(params.MessageSid);
      expect(row.text).toBe('Sent as JSON');
    });

    it.each([
      ['a body changed after signing', (a: Account, body: string) => ({ token: a.authToken, hash: createHash('sha256').update(body).digest('hex') }), (body: string) => body.replace('Sent as JSON', 'Changed')],
      ['no bodySHA256 parameter', (a: Account) => ({ token: a.authToken, hash: '' }), (body: string) => body],
      ['a forged signature', (a: Account) => ({ token: `${a.authToken}x` }), (body: string) => body],
    ] as Array<[string, (a: Account, body: string) => { token: string; hash?: string }, (body: string) => string]>)('refuses %s with 403 and stores nothing', async (_label, how, change) => {
      const account = await givenTwilioInbox();
      const params = inbound(account, { Body: 'Sent as JSON' });
      const body = JSON.stringify(params);
      const res = await postJson('/channels/sms/twilio', change(body), how(account, body));
      expect(res.status).toBe(403);
      expect(res.json().error.code).toBe('SignatureInvalid');
      expect(await messagesWithSid(params.MessageSid)).toHaveLength(0);
    });

    it('applies a JSON status callback signed the same way', async () => {
      const account = await givenTwilioInbox();
      const { caseId } = await givenCase(account);
      const sent = await becomes(await reply(caseId, 'JSON status'), DeliveryStatus.Sent);
      const body = JSON.stringify({ MessageSid: sent.provider_message_id, MessageStatus: 'delivered', From: account.number, To: mobile(), AccountSid: account.accountSid });
      expect((await postJson('/channels/sms/twilio/status', body, { token: account.authToken })).status).toBe(200);
      const [row] = await t.db.query<{ delivery_status: string }>(`SELECT delivery_status FROM message WHERE provider_message_id = $1`, [sent.provider_message_id]);
      expect(row.delivery_status).toBe('delivered');
    });

    it('answers 400 for a JSON body that is not an object of parameters', async () => {
      const account = await givenTwilioInbox();
      const res = await postJson('/channels/sms/twilio', '["not", "an", "object"]', { token: account.authToken });
      expect(res.status).toBe(400);
      expect(res.json().error.code).toBe('Validation');
    });
  });

  describe('outbound through the twilio SDK', () => {
    it('sends a reply with messages.create and a StatusCallback, and records Twilio’s sid', async () => {
      const account = await givenTwilioInbox();
      const { caseId, from } = await givenCase(account);

      const id = await reply(caseId, 'We will collect it tomorrow.');
      const row = await becomes(id, DeliveryStatus.Sent);

      expect(api.requests).toHaveLength(1);
      const [req] = api.requests;
      expect(req.method).toBe('POST');
      expect(req.path).toBe(`/2010-04-01/Accounts/${account.accountSid}/Messages.json`);
      expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`);
      expect(req.form).toEqual({ To: from, From: account.number, Body: 'We will collect it tomorrow.', StatusCallback: STATUS_URL });
      expect(row.provider_message_id).toMatch(/^SM[0-9a-f]{32}$/);
    });

    it('fails at once with a readable reason when Twilio answers 21610 (opted out)', async () => {
      const account = await givenTwilioInbox();
      const { caseId } = await givenCase(account);
      api.respond(refused(400, 21610, 'Attempt to send to unsubscribed recipient'));

      const row = await becomes(await reply(caseId, 'Hello?'), DeliveryStatus.Failed);

      expect(api.requests).toHaveLength(1);
      expect(row.delivery_reason).toMatch(/opted out/);
      expect(row.delivery_reason).toMatch(/21610/);
    });

    it('fails at once on 21211 (invalid number)', async () => {
      const account = await givenTwilioInbox();
      const { caseId } = await givenCase(account);
      api.respond(refused(400, 21211, "The 'To' number is not a valid phone number."));
      const row = await becomes(await reply(caseId, 'Hello?'), DeliveryStatus.Failed);
      expect(api.requests).toHaveLength(1);
      expect(row.delivery_reason).toMatch(/not a valid phone number/);
    });

    it('retries after a 500 and records the message sent after the second request', async () => {
      const account = await givenTwilioInbox();
      const { caseId } = await givenCase(account);
      api.respond((req, n) => (n === 1 ? { status: 500, body: 'Internal Server Error' } : accepted(req, n)));

      const row = await becomes(await reply(caseId, 'Second time lucky'), DeliveryStatus.Sent);

      expect(api.requests).toHaveLength(2);
      expect(row.attempts).toBe(2);
      expect(row.delivery_reason).toBeNull();
    });
  });

  describe('STOP and START', () => {
    it('records STOP on the identity and refuses replies without calling Twilio; START lifts it', async () => {
      const account = await givenTwilioInbox();
      const { caseId, from } = await givenCase(account);
      expect((await post('/channels/sms/twilio', inbound(account, { From: from, Body: 'Stop' }), { token: account.authToken })).status).toBe(200);
      const [identity] = await t.db.query<{ opted_out_at: Date | null }>(`SELECT opted_out_at FROM identity WHERE channel = 'sms' AND address = $1`, [from]);
      expect(identity.opted_out_at).toBeInstanceOf(Date);
      expect(toCaseSummary((await t.get(ConsoleReadRepository).summaryForPush(caseId))!).optedOut).toBe(true);

      const before = await outboundCount(caseId);
      const refused = await tryReply(caseId, 'Are you still there?');
      expect(refused.status).toBe(409);
      expect(refused.body.error.code).toBe('Conflict');
      expect(refused.body.error.message).toMatch(/opted out .*STOP.*START/);
      const console = await connectConsole(t.url, { token: staff.token });
      try {
        const ack = await console.send('case:reply', { caseId, text: 'Are you there now?' });
        expect(ack).toMatchObject({ ok: false, error: { code: 'Conflict', message: expect.stringMatching(/opted out .*STOP.*START/) } });
      } finally {
        console.close();
      }
      expect(await outboundCount(caseId)).toBe(before);
      expect(api.requests).toHaveLength(0);

      expect((await post('/channels/sms/twilio', inbound(account, { From: from, Body: ' START ' }), { token: account.authToken })).status).toBe(200);
      await becomes(await reply(caseId, 'Welcome back'), DeliveryStatus.Sent);
      expect(api.requests).toHaveLength(1);
      expect(toCaseSummary((await t.get(ConsoleReadRepository).summaryForPush(caseId))!).optedOut).toBe(false);
    });

    it('lifts the opt-out with UNSTOP as well as START', async () => {
      const account = await givenTwilioInbox();
      const { caseId, from } = await givenCase(account, { Body: 'STOPALL' });
      expect((await tryReply(caseId, 'Hello?')).status).toBe(409);
      expect((await post('/channels/sms/twilio', inbound(account, { From: from, Body: 'unstop' }), { token: account.authToken })).status).toBe(200);
      await becomes(await reply(caseId, 'Thanks, we are listening again'), DeliveryStatus.Sent);
    });

    it('still refuses at delivery a STOP that lands after the reply was accepted', async () => {
      const account = await givenTwilioInbox();
      const { caseId, from } = await givenCase(account);
      const sms = t.get(TwilioSmsAdapter);
      const accept = await tryReply(caseId, 'Accepted before the STOP');
      expect(accept.status).toBe(201);
      // The job may already have sent it; the refusal at send time is what this checks, so ask the adapter directly.
      await post('/channels/sms/twilio', inbound(account, { From: from, Body: 'STOP' }), { token: account.authToken });
      const inbox = await t.get(InboxesService).get(account.inboxId);
      await expect(sms.send({ messageId: accept.body.id, caseId, caseReference: 'C-1', to: { address: from }, text: 'x', attachments: [], sentAt: new Date() }, inbox)).rejects.toThrow(
        /opted out/,
      );
    });

    it('records a STOP that is the resident’s very first message', async () => {
      const account = await givenTwilioInbox();
      const { from } = await givenCase(account, { Body: 'UNSUBSCRIBE' });
      const [identity] = await t.db.query<{ opted_out_at: Date | null }>(`SELECT opted_out_at FROM identity WHERE channel = 'sms' AND address = $1`, [from]);
      expect(identity.opted_out_at).toBeInstanceOf(Date);
    });

    it('does not treat a sentence containing STOP as an opt-out', async () => {
      const account = await givenTwilioInbox();
      const { from } = await givenCase(account, { Body: 'STOP PLEASE the bins are overflowing' });
      const [identity] = await t.db.query<{ opted_out_at: Date | null }>(`SELECT opted_out_at FROM identity WHERE channel = 'sms' AND address = $1`, [from]);
      expect(identity.opted_out_at).toBeNull();
    });
  });

  describe('status callbacks', () => {
    async function sentReply(account: Account) {
      const { caseId, from } = await givenCase(account);
      const id = await reply(caseId, 'Status please');
      const row = await becomes(id, DeliveryStatus.Sent);
      const status = (MessageStatus: string, extra: Params = {}): Params => ({
        MessageSid: row.provider_message_id!,
        SmsSid: row.provider_message_id!,
        AccountSid: account.accountSid,
        From: account.number,
        To: from,
        MessageStatus,
        SmsStatus: MessageStatus,
        ApiVersion: '2010-04-01',
        ...extra,
      });
      return { id, status };
    }

    it('moves the status forward only, however the callbacks are ordered or repeated', async () => {
      const account = await givenTwilioInbox();
      const { id, status } = await sentReply(account);
      for (const s of ['delivered', 'delivered', 'sent', 'queued', 'sending', 'delivered']) {
        const res = await post('/channels/sms/twilio/status', status(s), { token: account.authToken });
        expect(res.status).toBe(200);
      }
      const row = await becomes(id, DeliveryStatus.Delivered);
      expect(row.delivery_reason).toBeNull();
    });

    it('records undelivered with the error explained', async () => {
      const account = await givenTwilioInbox();
      const { id, status } = await sentReply(account);
      expect((await post('/channels/sms/twilio/status', status('undelivered', { ErrorCode: '30005' }), { token: account.authToken })).status).toBe(200);
      const row = await becomes(id, DeliveryStatus.Failed);
      expect(row.delivery_reason).toMatch(/no longer in service.*30005/);
    });

    it('refuses an unsigned or forged status callback with 403 and changes nothing', async () => {
      const account = await givenTwilioInbox();
      const { id, status } = await sentReply(account);
      expect((await post('/channels/sms/twilio/status', status('delivered'), { signature: null })).status).toBe(403);
      expect((await post('/channels/sms/twilio/status', status('delivered'), { token: 'not-the-token' })).status).toBe(403);
      await becomes(id, DeliveryStatus.Sent);
    });
  });

  describe('media', () => {
    const PNG = Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex');

    /** Twilio's media URL answers with a redirect to its CDN, which serves the bytes without credentials. */
    const media = (contentType: string, bytes: Buffer) => (req: { path: string; headers: Record<string, unknown> }, n: number) =>
      req.path.startsWith('/cdn/')
        ? { status: 200, body: bytes, headers: { 'content-type': contentType } }
        : req.path.includes('/Media/')
          ? { status: 307, headers: { location: `${api.url}/cdn/${n}` } }
          : accepted(req as never, n);

    type Attachment = { id?: string; url?: string; sourceUrl?: string; error?: string; contentType: string; size: number; filename: string };
    const mediaUrlOf = (account: Account) => `https://api.twilio.com/2010-04-01/Accounts/${account.accountSid}/Messages/MM1/Media/ME1`;

    /** An MMS stored, and its media job finished (stored or refused); the stand-in's request log starts afresh. */
    async function givenMms(account: Account, respond = media('image/png', PNG)) {
      api.respond(respond);
      const params = inbound(account, { MessageSid: newSid('MM'), NumMedia: '1', MediaUrl0: mediaUrlOf(account), MediaContentType0: 'image/png' });
      expect((await post('/channels/sms/twilio', params, { token: account.authToken })).status).toBe(200);
      const attachment = await settled(params.MessageSid);
      const [row] = await messagesWithSid(params.MessageSid);
      api.requests.splice(0);
      return { messageId: row.id, caseId: row.case_id, attachment };
    }

    function settled(sid: string): Promise<Attachment> {
      return eventually(async () => {
        const [row] = await messagesWithSid(sid);
        const [a] = row.attachments as Attachment[];
        expect(a.id ?? a.error).toBeDefined();
        return a;
      });
    }

    it('stores MMS media on arrival: fetched by a job with the account’s credentials, the CDN redirect without them, linked to the case', async () => {
      const account = await givenTwilioInbox();
      api.respond(media('image/png', PNG));
      const params = inbound(account, { MessageSid: newSid('MM'), NumMedia: '1', MediaUrl0: mediaUrlOf(account), MediaContentType0: 'image/png' });
      expect((await post('/channels/sms/twilio', params, { token: account.authToken })).status).toBe(200);
      const stored = await settled(params.MessageSid);

      expect(stored).toEqual({ filename: 'media-0.png', contentType: 'image/png', size: PNG.length, id: expect.any(String), url: `/api/v1/attachments/${stored.id}`, sourceUrl: mediaUrlOf(account) });
      const [asked] = api.requests.filter((r) => r.path === `/2010-04-01/Accounts/${account.accountSid}/Messages/MM1/Media/ME1`);
      expect(asked.headers.authorization).toBe(`Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`);
      const cdn = api.requests.filter((r) => r.path.startsWith('/cdn/'));
      expect(cdn.length).toBeGreaterThan(0);
      expect(cdn.every((r) => r.headers.authorization === undefined)).toBe(true);
      const [row] = await messagesWithSid(params.MessageSid);
      const [kept] = await t.db.query<{ case_id: string; source: string }>(`SELECT case_id, source FROM attachment WHERE id = $1`, [stored.id]);
      expect(kept).toEqual({ case_id: row.case_id, source: 'sms:media' });
      const res = await fetch(`${t.url}${stored.url}`, { headers: { authorization: `Bearer ${staff.token}` } });
      expect(res.status).toBe(200);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG);
    });

    it('answers Twilio before the media is downloaded', async () => {
      const account = await givenTwilioInbox();
      const slow = media('image/png', PNG);
      api.respond((req, n) => ({ ...slow(req, n), delayMs: req.path.includes('/Media/') ? 1500 : 0 }));
      const params = inbound(account, { MessageSid: newSid('MM'), NumMedia: '1', MediaUrl0: mediaUrlOf(account), MediaContentType0: 'image/png' });
      expect((await post('/channels/sms/twilio', params, { token: account.authToken })).status).toBe(200);
      const [row] = await messagesWithSid(params.MessageSid);
      expect((row.attachments as Attachment[])[0]).toEqual({ filename: 'media-0.png', contentType: 'image/png', size: 0, url: mediaUrlOf(account) });
      expect((await settled(params.MessageSid)).id).toBeDefined();
    });

    it('retries the download after Twilio answers 500, then stores it', async () => {
      const account = await givenTwilioInbox();
      const ok = media('image/png', PNG);
      let failed = 0;
      const { attachment } = await givenMms(account, (req, n) => (req.path.includes('/Media/') && failed++ === 0 ? { status: 500, body: 'busy' } : ok(req, n)));
      expect(failed).toBeGreaterThanOrEqual(2);
      expect(attachment).toMatchObject({ id: expect.any(String), size: PNG.length });
    });

    it('notes media that is gone (404) on the attachment without trying again', async () => {
      const account = await givenTwilioInbox();
      let asked = 0;
      const { attachment } = await givenMms(account, (req, n) => (req.path.includes('/Media/') ? (asked++, { status: 404, body: 'gone' }) : accepted(req as never, n)));
      expect(attachment).toMatchObject({ url: mediaUrlOf(account), error: 'Twilio media answered HTTP 404' });
      expect(attachment.id).toBeUndefined();
      expect(asked).toBe(1);
    });

    it('lets staff open MMS media through the Twilio proxy, following the CDN redirect', async () => {
      const account = await givenTwilioInbox();
      const { messageId } = await givenMms(account);

      const res = await fetch(`${t.url}/api/v1/twilio/messages/${messageId}/media/0`, { headers: { authorization: `Bearer ${staff.token}` } });

      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^image\/png/);
      expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG);
      expect(api.requests.map((r) => r.path)).toEqual([`/2010-04-01/Accounts/${account.accountSid}/Messages/MM1/Media/ME1`, '/cdn/1']);
      expect(api.requests[0].headers.authorization).toBe(`Basic ${Buffer.from(`${account.accountSid}:${account.authToken}`).toString('base64')}`);
      expect(api.requests[1].headers.authorization).toBeUndefined();
    });

    it('refuses media of a type outside the allow-list, on arrival and through the proxy', async () => {
      const account = await givenTwilioInbox();
      const { messageId, attachment } = await givenMms(account, media('application/x-msdownload', Buffer.from('MZ')));
      expect(attachment).toMatchObject({ error: expect.stringMatching(/application\/x-msdownload is not accepted/) });
      expect(attachment.id).toBeUndefined();
      const res = await fetch(`${t.url}/api/v1/twilio/messages/${messageId}/media/0`, { headers: { authorization: `Bearer ${staff.token}` } });
      expect(res.status).toBe(400);
    });

    it('never fetches media from a host that is not Twilio’s', async () => {
      const account = await givenTwilioInbox();
      const params = inbound(account, { MessageSid: newSid('MM'), NumMedia: '1', MediaUrl0: 'https://169.254.169.254/latest/meta-data', MediaContentType0: 'image/png' });
      expect((await post('/channels/sms/twilio', params, { token: account.authToken })).status).toBe(200);
      const [row] = await messagesWithSid(params.MessageSid);
      const res = await fetch(`${t.url}/api/v1/twilio/messages/${row.id}/media/0`, { headers: { authorization: `Bearer ${staff.token}` } });
      expect(res.status).toBe(403);
      expect((await settled(params.MessageSid)).error).toMatch(/only fetched from Twilio's hosts/);
      expect(api.requests.filter((r) => !r.path.endsWith('Messages.json'))).toHaveLength(0);
    });

    it('requires a signed-in staff member', async () => {
      const account = await givenTwilioInbox();
      const { messageId, attachment } = await givenMms(account);
      expect((await fetch(`${t.url}/api/v1/twilio/messages/${messageId}/media/0`)).status).toBe(401);
      expect((await fetch(`${t.url}${attachment.url}`)).status).toBe(401);
    });
  });

  describe('WhatsApp', () => {
    async function givenWhatsappCase(account: Account) {
      const params: Params = { ...inboundWhatsapp, AccountSid: account.accountSid, MessageSid: newSid('SM'), To: `whatsapp:${account.number}`, From: `whatsapp:${mobile()}` };
      expect((await post('/channels/sms/twilio', params, { token: account.authToken })).status).toBe(200);
      const [row] = await messagesWithSid(params.MessageSid);
      return { caseId: row.case_id, from: params.From, identityId: row.identity_id };
    }

    it('takes whatsapp: messages onto the WhatsApp inbox, replies with whatsapp: addresses, and records read', async () => {
      const account = await givenTwilioInbox('whatsapp');
      const { caseId, from, identityId } = await givenWhatsappCase(account);
      const [identity] = await t.db.query<{ channel: string; address: string; display_name: string }>(`SELECT channel, address, display_name FROM identity WHERE id = $1`, [identityId]);
      expect(identity).toEqual({ channel: 'whatsapp', address: from.slice('whatsapp:'.length), display_name: 'Ada Lovelace' });

      const id = await reply(caseId, 'Yes, 9am to 4pm.');
      const row = await becomes(id, DeliveryStatus.Sent);
      expect(api.requests[0].form).toMatchObject({ To: from, From: `whatsapp:${account.number}` });

      const read: Params = { MessageSid: row.provider_message_id!, AccountSid: account.accountSid, From: `whatsapp:${account.number}`, To: from, MessageStatus: 'read', ChannelPrefix: 'whatsapp' };
      expect((await post('/channels/sms/twilio/status', read, { token: account.authToken })).status).toBe(200);
      await becomes(id, DeliveryStatus.Read);
    });

    it('finds the Meta module’s WhatsApp Cloud adapter for inboxes with provider "meta"', () => {
      const options = (t.get(TwilioWhatsappAdapter) as unknown as { options: TwilioAdapterOptions }).options;
      const base = { id: 'x', channel: 'whatsapp' as never, name: 'x', address: '1', departmentId: 'd', secret: 's' };
      expect(options.otherWhatsappProvider!({ ...base, settings: { provider: 'meta' } })).toBeInstanceOf(WhatsappCloudAdapter);
      expect(options.otherWhatsappProvider!({ ...base, settings: { accountSid: 'AC1', authToken: 't' } })).toBeUndefined();
    });

    /** The resident's last message, and their identity's record of it, moved back in time. */
    async function lastWrote(caseId: string, identityId: string, interval: string) {
      await t.db.query(`UPDATE identity SET last_inbound_at = now() - $2::interval WHERE id = $1`, [identityId, interval]);
      await t.db.query(`UPDATE message SET created_at = now() - $2::interval WHERE case_id = $1 AND direction = 'inbound'`, [caseId, interval]);
    }

    it('refuses free text outside the 24-hour window with the reason before storing it, without calling Twilio', async () => {
      const account = await givenTwilioInbox('whatsapp');
      const { caseId, identityId } = await givenWhatsappCase(account);
      await lastWrote(caseId, identityId, '25 hours');

      const res = await tryReply(caseId, 'Sorry for the delay');

      expect(res.status).toBe(409);
      expect(res.body.error.message).toMatch(/24-hour WhatsApp window.*no templates configured/);
      expect(await outboundCount(caseId)).toBe(0);
      expect(api.requests).toHaveLength(0);
    });

    it('outside the window sends a reply matching an approved template as its ContentSid and variables', async () => {
      const contentSid = `HX${randomBytes(16).toString('hex')}`;
      const template = { name: 'case-update', contentSid, text: 'There is an update on your case {{reference}}. Reply to continue.', variables: { '1': '{{reference}}' } };
      const account = await givenTwilioInbox('whatsapp', { whatsappTemplates: [template] });
      const { caseId, identityId, from } = await givenWhatsappCase(account);
      await lastWrote(caseId, identityId, '3 days');
      const [{ reference }] = await t.db.query<{ reference: string }>(`SELECT reference FROM "case" WHERE id = $1`, [caseId]);

      const refused = await tryReply(caseId, 'Free text');
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toMatch(/approved templates \(case-update\)/);

      await becomes(await reply(caseId, `There is an update on your case ${reference}. Reply to continue.`), DeliveryStatus.Sent);
      expect(api.requests).toHaveLength(1);
      expect(api.requests[0].form).toEqual({
        To: from,
        From: `whatsapp:${account.number}`,
        ContentSid: contentSid,
        ContentVariables: JSON.stringify({ '1': reference }),
        StatusCallback: STATUS_URL,
      });
    });
  });
});
