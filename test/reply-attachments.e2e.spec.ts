import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createTransport, Transporter } from 'nodemailer';
import twilio from 'twilio';
import { SmtpListener } from '../src/channels/email/smtp-listener.service';
import { AgentRole } from '../src/common/enum';
import { InboxesService } from '../src/inboxes/inboxes.service';
import { startTestApp, TestApp } from './support/app';
import { startSmtpCapture } from './support/smtp-capture';
import { connectConsole, ConsoleClient } from './support/console-client';
import { eventually } from './support/eventually';
import { givenAgent, givenApiInbox, givenCase } from './support/given';
import { connectWidget, postSession, WidgetClient } from './support/widget-client';
import inboundSms from './fixtures/twilio/inbound-sms.json';

/** A real 1×1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
/** A Windows executable's start ("MZ"), as a file named photo.png would carry it. */
const EXE = Buffer.concat([Buffer.from('4d5a90000300000004000000ffff0000', 'hex'), randomBytes(256)]);
const office = (name: string) => readFileSync(join(__dirname, 'fixtures', 'office', name));
const INBOX = 'housing@council.test';
const PUBLIC_BASE_URL = 'https://contact.example-council.gov.uk';
const SMS_TOKEN = 'attachments-sms-token';
const SMS_NUMBER = '+447700900777';

type Json = Record<string, any>;


describe('Reply attachments: POST /api/v1/cases/:id/attachments, attachmentIds on replies, delivery by email and web chat', () => {
  let t: TestApp;
  let capture: Awaited<ReturnType<typeof startSmtpCapture>>;
  let client: Transporter;
  let apiToken: string;
  let admin: Awaited<ReturnType<typeof givenAgent>>;
  let webchatToken: string;
  const sockets: Array<ConsoleClient | WidgetClient> = [];

  beforeAll(async () => {
    capture = await startSmtpCapture();
    t = await startTestApp({
      env: { SMTP_PORT: '0', SMTP_HOST: '127.0.0.1', EMAIL_SMTP_URL: `smtp://127.0.0.1:${capture.port}`, PUBLIC_BASE_URL, DELIVERY_BACKOFF_MS: '20' },
    });
    client = createTransport({ host: '127.0.0.1', port: t.get(SmtpListener).port(), secure: false, ignoreTLS: true });
    const inboxes = t.get(InboxesService);
    await inboxes.create({ channel: 'email', name: 'Housing Team', department: 'customer-services', address: INBOX });
    webchatToken = (await inboxes.create({ channel: 'webchat', name: 'Anytown web chat', department: 'customer-services' })).token;
    await inboxes.create({ channel: 'sms', name: 'Texts', department: 'customer-services', address: SMS_NUMBER, settings: { accountSid: inboundSms.AccountSid, authToken: SMS_TOKEN } });
    apiToken = (await givenApiInbox(t, { department: 'customer-services' })).token;
    admin = await givenAgent(t, { role: AgentRole.Admin }); // email triage may route a case to any department
  });
  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });
  afterAll(async () => {
    client?.close();
    await t?.close();
    await capture?.close();
  });

  async function upload(caseId: string, bytes: Buffer, filename: string, type: string, token = admin.token): Promise<{ status: number; body: Json }> {
    const form = new FormData();
    form.append('file', new Blob([bytes], { type }), filename);
    const res = await fetch(`${t.url}/api/v1/cases/${caseId}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
    return { status: res.status, body: (await res.json()) as Json };
  }

  async function reply(caseId: string, body: unknown, token = admin.token): Promise<{ status: number; body: Json }> {
    const res = await fetch(`${t.url}/api/v1/cases/${caseId}/replies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  }

  const messagesOn = async (caseId: string) => (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM message WHERE case_id = $1`, [caseId]))[0].n;

  /** A resident's mail through the hub's own SMTP listener: the case it opened. */
  async function givenEmailCase(): Promise<string> {
    const messageId = `att-${randomUUID()}@mail.example`;
    const raw = Buffer.from(
      `From: resident-${randomUUID().slice(0, 8)}@mail.example\r\nTo: ${INBOX}\r\nSubject: Damp in the bedroom\r\nMessage-ID: <${messageId}>\r\nDate: ${new Date().toUTCString()}\r\n\r\nThere is damp in my bedroom.\r\n`,
    );
    await client.sendMail({ envelope: { from: 'resident@mail.example', to: [INBOX] }, raw });
    const [row] = await t.db.query<{ case_id: string }>(`SELECT case_id FROM message WHERE external_id = $1`, [messageId]);
    return row.case_id;
  }

  /** The relay's copy of the mail that carries `text`. */
  const mailWith = (text: string) =>
    eventually(() => {
      const found = capture.mails.find((m) => (m.text ?? '').includes(text));
      expect(found).toBeDefined();
      return found!;
    });

  describe('staff upload', () => {
    it('stores a PNG and a PDF typed from their bytes, on the case at once, and staff can open them', async () => {
      const caseId = await givenCase(t, apiToken);
      const png = await upload(caseId, PNG, 'plan.png', 'image/png');
      expect(png).toEqual({ status: 201, body: { attachment: { id: expect.any(String), filename: 'plan.png', contentType: 'image/png', size: PNG.length, url: `/api/v1/attachments/${png.body.attachment.id}` } } });
      const pdf = await upload(caseId, PDF, 'letter.pdf', 'application/octet-stream');
      expect(pdf).toMatchObject({ status: 201, body: { attachment: { filename: 'letter.pdf', contentType: 'application/pdf', size: PDF.length } } });
      const [row] = await t.db.query<{ case_id: string; source: string }>(`SELECT case_id, source FROM attachment WHERE id = $1`, [png.body.attachment.id]);
      expect(row).toEqual({ case_id: caseId, source: `staff:${admin.agent.id}` });
      const opened = await fetch(`${t.url}${png.body.attachment.url}`, { headers: { authorization: `Bearer ${admin.token}` } });
      expect(opened.status).toBe(200);
      expect(Buffer.from(await opened.arrayBuffer()).equals(PNG)).toBe(true);
    });

    it('takes office documents by what is inside the zip (docx, odt), and refuses a plain zip', async () => {
      const caseId = await givenCase(t, apiToken);
      const docx = await upload(caseId, office('letter.docx'), 'letter.docx', 'application/octet-stream');
      expect(docx).toMatchObject({ status: 201, body: { attachment: { filename: 'letter.docx', contentType: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' } } });
      const odt = await upload(caseId, office('notes.odt'), 'notes.odt', 'application/vnd.oasis.opendocument.text');
      expect(odt).toMatchObject({ status: 201, body: { attachment: { contentType: 'application/vnd.oasis.opendocument.text' } } });
      const zip = await upload(caseId, office('plain.zip'), 'letter.docx', 'application/vnd.openxmlformats-officedocument.wordprocessingml.document');
      expect(zip.status).toBe(415);
      expect(zip.body.error.message).toMatch(/application\/zip, which is not allowed/);
    });

    it('refuses a file that lies about its type (415) and one over 10 MB (413) as JSON, storing nothing', async () => {
      const caseId = await givenCase(t, apiToken);
      const count = async () => (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM attachment WHERE case_id = $1`, [caseId]))[0].n;
      const lying = await upload(caseId, EXE, 'photo.png', 'image/png');
      expect(lying.status).toBe(415);
      expect(lying.body.error).toMatchObject({ code: 'UnsupportedType', message: expect.stringMatching(/not allowed/) });
      const huge = await upload(caseId, Buffer.concat([PNG, Buffer.alloc(10 * 1024 * 1024)]), 'huge.png', 'image/png');
      expect(huge.status).toBe(413);
      expect(huge.body.error).toMatchObject({ code: 'PayloadTooLarge', message: expect.any(String) });
      const none = await fetch(`${t.url}/api/v1/cases/${caseId}/attachments`, { method: 'POST', headers: { authorization: `Bearer ${admin.token}` }, body: new FormData() });
      expect(none.status).toBe(400);
      expect(await count()).toBe(0);
    });

    it('answers 404 for another department’s case, and 401 without a sign-in', async () => {
      const caseId = await givenCase(t, apiToken);
      const waste = await givenAgent(t, { departments: ['waste'] });
      const res = await upload(caseId, PNG, 'plan.png', 'image/png', waste.token);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('NotFound');
      expect((await upload(randomUUID(), PNG, 'plan.png', 'image/png')).status).toBe(404);
      expect((await upload(caseId, PNG, 'plan.png', 'image/png', 'not-a-token')).status).toBe(401);
    });
  });

  describe('replies by email', () => {
    it('sends the files of a REST reply as MIME parts, byte for byte', async () => {
      const caseId = await givenEmailCase();
      const png = (await upload(caseId, PNG, 'damp-guide.png', 'image/png')).body.attachment;
      const pdf = (await upload(caseId, PDF, 'Repairs letter.pdf', 'application/pdf')).body.attachment;

      const res = await reply(caseId, { text: 'Please see the guide and letter attached.', attachmentIds: [png.id, pdf.id] });

      expect(res.status).toBe(201);
      expect(res.body.attachments).toEqual([
        { id: png.id, filename: 'damp-guide.png', contentType: 'image/png', size: PNG.length, url: png.url },
        { id: pdf.id, filename: 'Repairs letter.pdf', contentType: 'application/pdf', size: PDF.length, url: pdf.url },
      ]);
      const mail = await mailWith('Please see the guide and letter attached.');
      expect(mail.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType }))).toEqual([
        { filename: 'damp-guide.png', contentType: 'image/png' },
        { filename: 'Repairs letter.pdf', contentType: 'application/pdf' },
      ]);
      expect(mail.attachments[0].content.equals(PNG)).toBe(true);
      expect(mail.attachments[1].content.equals(PDF)).toBe(true);
      await eventually(async () => {
        const [row] = await t.db.query<{ delivery_status: string }>(`SELECT delivery_status FROM message WHERE id = $1`, [res.body.id]);
        expect(row.delivery_status).toBe('sent');
      });
    });

    it('sends the files of a console case:reply', async () => {
      const caseId = await givenEmailCase();
      const png = (await upload(caseId, PNG, 'map.png', 'image/png')).body.attachment;
      const console = await connectConsole(t.url, { token: admin.token });
      sockets.push(console);

      const ack = (await console.send('case:reply', { caseId, text: 'A map of the route is attached.', attachmentIds: [png.id] })) as Json;

      expect(ack).toMatchObject({ ok: true, message: { attachments: [expect.objectContaining({ id: png.id, filename: 'map.png' })] } });
      const mail = await mailWith('A map of the route is attached.');
      expect(mail.attachments).toHaveLength(1);
      expect(mail.attachments[0]).toMatchObject({ filename: 'map.png', contentType: 'image/png' });
      expect(mail.attachments[0].content.equals(PNG)).toBe(true);
    });

    it('refuses files that are not staff’s uploads to this case, and more than five, naming the problem', async () => {
      const caseId = await givenEmailCase();
      const otherCase = await givenEmailCase();
      const elsewhere = (await upload(otherCase, PNG, 'other.png', 'image/png')).body.attachment;
      const own = (await upload(caseId, PNG, 'own.png', 'image/png')).body.attachment;
      const before = await messagesOn(caseId);

      const wrongCase = await reply(caseId, { text: 'Attached', attachmentIds: [own.id, elsewhere.id] });
      expect(wrongCase.status).toBe(400);
      expect(wrongCase.body.error).toMatchObject({ code: 'Validation', message: expect.stringContaining(elsewhere.id) });
      const unknown = randomUUID();
      const missing = await reply(caseId, { text: 'Attached', attachmentIds: [unknown] });
      expect(missing.body.error.message).toContain(unknown);
      // The resident's own file on the case (an inbound email attachment) is not staff's to send back.
      const [residentFile] = await t.db.query<{ id: string }>(
        `INSERT INTO attachment (case_id, source, filename, content_type, size, sha256, bytes) VALUES ($1, 'email', 'r.png', 'image/png', $2, 'x', $3) RETURNING id`,
        [caseId, PNG.length, PNG],
      );
      expect((await reply(caseId, { text: 'Attached', attachmentIds: [residentFile.id] })).body.error.message).toContain(residentFile.id);
      const six = await reply(caseId, { text: 'Attached', attachmentIds: Array.from({ length: 6 }, () => randomUUID()) });
      expect(six.status).toBe(400);
      expect(six.body.error.message).toMatch(/attachmentIds/);
      expect((await reply(caseId, { text: 'Attached', attachmentIds: ['nope'] })).status).toBe(400);
      const console = await connectConsole(t.url, { token: admin.token });
      sockets.push(console);
      expect(await console.send('case:reply', { caseId, text: 'Attached', attachmentIds: [elsewhere.id] })).toMatchObject({ ok: false, error: { code: 'Validation', message: expect.stringContaining(elsewhere.id) } });
      expect(await messagesOn(caseId)).toBe(before);
    });
  });

  it('brings a reply’s file to the web chat widget, which fetches it with its own token (and not before it is sent)', async () => {
    const session = (await postSession(t.url, { inbox: webchatToken })).body;
    const widget = await connectWidget(t.url, session.visitorToken);
    sockets.push(widget);
    await widget.send('message:send', { text: 'Can you send me the form?', clientId: 'w-1' });
    const caseId = (await widget.waitFor('conversation')).caseId as string;
    const pdf = (await upload(caseId, PDF, 'form.pdf', 'application/pdf')).body.attachment;
    const fetchAs = (token: string) => fetch(`${t.url}/webchat/v1/attachments/${pdf.id}?token=${token}`);
    expect((await fetchAs(session.visitorToken)).status).toBe(404); // not sent yet

    const console = await connectConsole(t.url, { token: admin.token });
    sockets.push(console);
    expect(await console.send('case:reply', { caseId, text: 'Here is the form', attachmentIds: [pdf.id] })).toMatchObject({ ok: true });

    const got = await widget.waitFor('message', (m) => m.direction === 'agent');
    expect(got.attachments).toEqual([{ id: pdf.id, filename: 'form.pdf', contentType: 'application/pdf', size: PDF.length, url: `/webchat/v1/attachments/${pdf.id}` }]);
    const fetched = await fetchAs(session.visitorToken);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await fetched.arrayBuffer()).equals(PDF)).toBe(true);
    const stranger = (await postSession(t.url, { inbox: webchatToken })).body;
    expect((await fetchAs(stranger.visitorToken)).status).toBe(404);
  });

  it('refuses a reply with files on an SMS case before anything is queued, saying why', async () => {
    const params = { ...inboundSms, To: SMS_NUMBER, From: '+447700900888', MessageSid: `SM${randomBytes(16).toString('hex')}`, Body: 'Can you send me a photo of the permit?' };
    const signature = twilio.getExpectedTwilioSignature(SMS_TOKEN, `${PUBLIC_BASE_URL}/channels/sms/twilio`, params);
    const inbound = await fetch(`${t.url}/channels/sms/twilio`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams(params).toString(),
    });
    expect(inbound.status).toBe(200);
    const [row] = await t.db.query<{ case_id: string }>(`SELECT case_id FROM message WHERE external_id = $1`, [params.MessageSid]);
    const png = (await upload(row.case_id, PNG, 'permit.png', 'image/png')).body.attachment;
    const before = await messagesOn(row.case_id);

    const refused = await reply(row.case_id, { text: 'Here is the permit', attachmentIds: [png.id] });

    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'Conflict', message: expect.stringMatching(/^Reply not sent: sms replies cannot carry attachments/), details: { reason: 'attachments-unsupported' } });
    expect(await messagesOn(row.case_id)).toBe(before);
    const console = await connectConsole(t.url, { token: admin.token });
    sockets.push(console);
    expect(await console.send('case:reply', { caseId: row.case_id, text: 'Here is the permit', attachmentIds: [png.id] })).toMatchObject({ ok: false, error: { code: 'Conflict' } });
    expect(await messagesOn(row.case_id)).toBe(before);
  });
});
