import { createHmac, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InboxesService } from '../src/inboxes/inboxes.service';
import { startTestApp, TestApp } from './support/app';
import { AgentRole } from '../src/common/enum';
import { givenAgent, givenApiInbox } from './support/given';

const INBOX = 'abc123@inbound.council.test';
const SIGNING_KEY = 'key-mailgun-test-signing-key';
const MAX_MAIL = 2 * 1024 * 1024;
let seq = 0;

function postmark(values: Record<string, string> = {}): { body: Record<string, unknown>; messageId: string } {
  const messageId = `pm-${Date.now()}-${++seq}@mail.example`;
  const all: Record<string, string> = { TO: INBOX, IN_REPLY_TO: '', ...values, MSGID: messageId };
  const text = readFileSync(join(__dirname, 'fixtures', 'email', 'postmark-inbound.json'), 'utf8');
  return { body: JSON.parse(text.replace(/\{\{([A-Z_]+)\}\}/g, (_, key: string) => all[key] ?? '')), messageId };
}

describe('POST /channels/email/inbound (Postmark)', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    // A 2 MiB mail limit makes the webhook's own body limit 4 MiB (1.5 × 2 MiB + 1 MiB): small enough to cross in a test.
    t = await startTestApp({ env: { MAILGUN_SIGNING_KEY: SIGNING_KEY, EMAIL_MAX_MESSAGE_BYTES: String(MAX_MAIL), EMAIL_MAX_ATTACHMENT_BYTES: String(MAX_MAIL) } });
    token = (await t.get(InboxesService).create({ channel: 'email', name: 'Postmark inbox', department: 'customer-services', address: INBOX })).token;
  });
  afterAll(() => t?.close());

  const basic = (password: string) => `Basic ${Buffer.from(`postmark:${password}`).toString('base64')}`;

  async function post(body: unknown, authorization?: string) {
    const res = await fetch(`${t.url}/channels/email/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }

  const count = async () => (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM message`))[0].n;

  it('stores the mail through the same parser as SMTP mail, once however often Postmark retries', async () => {
    const { body, messageId } = postmark();
    const first = await post(body, basic(token));
    expect(first.status).toBe(200);
    expect(first.body.receipts).toEqual([expect.objectContaining({ outcome: 'stored', duplicate: false })]);
    expect((await post(body, basic(token))).body.receipts).toEqual([expect.objectContaining({ outcome: 'stored', duplicate: true })]);
    const rows = await t.db.query<{ text: string; text_full: string; attachments: unknown[]; address: string }>(
      `SELECT m.text, m.text_full, m.attachments, i.address FROM message m JOIN identity i ON i.id = m.identity_id WHERE m.external_id = $1`,
      [messageId],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ text: 'This is a test text body.', address: 'replyto@example.com' });
    expect(rows[0].text_full).toContain('> earlier');
    const [stored] = rows[0].attachments as Array<{ id: string; url: string }>;
    expect(stored).toEqual({ filename: 'test.txt', contentType: 'text/plain', size: 45, id: expect.any(String), url: `/api/v1/attachments/${stored.id}` });
    const [kept] = await t.db.query<{ case_id: string; bytes: Buffer }>(`SELECT case_id, bytes FROM attachment WHERE id = $1`, [stored.id]);
    const [message] = await t.db.query<{ case_id: string }>(`SELECT case_id FROM message WHERE external_id = $1`, [messageId]);
    expect(kept.case_id).toBe(message.case_id);
    expect(kept.bytes.length).toBe(45);
    expect((await t.db.query(`SELECT id FROM attachment WHERE case_id = $1`, [message.case_id])).length).toBe(1); // not again on the retry
  });

  it('lets staff download a stored email attachment; a file that is not what it claims is noted, not stored', async () => {
    const { body, messageId } = postmark();
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(2000, 'x'), Buffer.from('\n%%EOF\n')]);
    const exe = Buffer.concat([Buffer.from('MZ'), Buffer.alloc(500, 0)]);
    body.Attachments = [
      { Name: 'council-tax.pdf', Content: pdf.toString('base64'), ContentType: 'application/pdf', ContentLength: pdf.length },
      { Name: 'invoice.pdf', Content: exe.toString('base64'), ContentType: 'application/pdf', ContentLength: exe.length },
    ];
    expect((await post(body, basic(token))).status).toBe(200);
    const [row] = await t.db.query<{ attachments: Array<{ id?: string; url?: string; error?: string; filename: string }> }>(`SELECT attachments FROM message WHERE external_id = $1`, [messageId]);
    expect(row.attachments[0]).toMatchObject({ filename: 'council-tax.pdf', contentType: 'application/pdf', size: pdf.length, id: expect.any(String) });
    expect(row.attachments[1]).toMatchObject({ filename: 'invoice.pdf', error: expect.stringMatching(/application\/x-msdownload|not allowed|not a recognised/) });
    expect(row.attachments[1].id).toBeUndefined();
    const staff = await givenAgent(t, { role: AgentRole.Supervisor });
    const res = await fetch(`${t.url}${row.attachments[0].url}`, { headers: { authorization: `Bearer ${staff.token}` } });
    expect(res.status).toBe(200);
    expect(Buffer.from(await res.arrayBuffer()).equals(pdf)).toBe(true);
  });

  it.each([
    ['no credentials', undefined],
    ['a wrong password', 'hub_in_wrong'],
  ])('answers 401 to %s and stores nothing', async (_label, password) => {
    const before = await count();
    const res = await post(postmark().body, password === undefined ? undefined : basic(password));
    expect(res.status).toBe(401);
    expect(await count()).toBe(before);
  });

  it('answers 401 to another channel’s inbox token', async () => {
    const api = await givenApiInbox(t);
    expect((await post(postmark().body, basic(api.token))).status).toBe(401);
  });

  it('refuses a mail without a sender with 403 (Postmark’s “do not retry”) and stores nothing', async () => {
    const before = await count();
    const { body } = postmark();
    delete body.From;
    delete body.FromFull;
    const res = await post(body, basic(token));
    expect(res.status).toBe(403);
    expect(res.body.error).toMatchObject({ code: 'Validation', message: expect.stringMatching(/no valid From/), details: { provider: 'postmark', retry: false } });
    expect(await count()).toBe(before);
  });

  describe('large mail', () => {
    const withAttachment = (bytes: number, pdf = false) => {
      const mail = postmark();
      const filler = Buffer.alloc(bytes, 'council tax bill scan ');
      if (pdf) filler.write('%PDF-1.4\n');
      const content = filler.toString('base64');
      mail.body.Attachments = [{ Name: 'bill.pdf', Content: content, ContentType: 'application/pdf', ContentLength: bytes }];
      return mail;
    };

    it('takes a Postmark post over the global 1 MiB limit (the route has its own)', async () => {
      const { body, messageId } = withAttachment(1.2 * 1024 * 1024, true);
      expect(JSON.stringify(body).length).toBeGreaterThan(1024 * 1024);
      const res = await post(body, basic(token));
      expect(res.status).toBe(200);
      const [row] = await t.db.query<{ attachments: Array<{ filename: string; size: number }> }>(`SELECT attachments FROM message WHERE external_id = $1`, [messageId]);
      expect(row.attachments).toEqual([expect.objectContaining({ filename: 'bill.pdf', contentType: 'application/pdf', size: Math.floor(1.2 * 1024 * 1024), id: expect.any(String) })]);
    });

    it('refuses a mail over EMAIL_MAX_MESSAGE_BYTES with 403, naming the limit, and stores nothing', async () => {
      const before = await count();
      const res = await post(withAttachment(MAX_MAIL + 1024).body, basic(token));
      expect(res.status).toBe(403);
      expect(res.body.error).toMatchObject({ code: 'PayloadTooLarge', message: expect.stringMatching(`the limit is ${MAX_MAIL}`), details: { retry: false } });
      expect(await count()).toBe(before);
    });

    it('answers 413 above the route’s body limit, and keeps 1 MiB on every other route', async () => {
      const huge = JSON.stringify({ pad: 'x'.repeat(4 * 1024 * 1024 + 10) });
      const res = await fetch(`${t.url}/channels/email/inbound`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: basic(token) }, body: huge });
      expect(res.status).toBe(413);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/over the 4194304 byte limit/);
      const api = await givenApiInbox(t);
      const other = await fetch(`${t.url}/channels/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${api.token}` },
        body: JSON.stringify({ externalId: 'big', from: { address: 'r' }, text: 'x'.repeat(1024 * 1024 + 10) }),
      });
      expect(other.status).toBe(413);
    });
  });

  describe('Mailgun route forwards', () => {
    function signed(fields: Record<string, string>, opts: { key?: string; timestamp?: number; token?: string } = {}) {
      const timestamp = String(opts.timestamp ?? Math.floor(Date.now() / 1000));
      const token = opts.token ?? randomBytes(25).toString('hex');
      const signature = createHmac('sha256', opts.key ?? SIGNING_KEY).update(timestamp + token).digest('hex');
      return { ...fields, timestamp, token, signature };
    }

    function mime(messageId: string) {
      return `From: Ada Lovelace <ada@mail.example>\r\nTo: ${INBOX}\r\nSubject: Streetlight out\r\nMessage-ID: <${messageId}>\r\n\r\nThe streetlight outside number 4 is out.\r\n`;
    }

    async function postForm(fields: Record<string, string>) {
      const res = await fetch(`${t.url}/channels/email/inbound`, { method: 'POST', body: new URLSearchParams(fields) });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    }

    it('stores a signed body-mime post, and refuses the same token again', async () => {
      const messageId = `mg-${Date.now()}@mail.example`;
      const fields = signed({ recipient: INBOX, sender: 'ada@mail.example', 'body-mime': mime(messageId) });
      expect((await postForm(fields)).status).toBe(200);
      expect((await t.db.query(`SELECT id FROM message WHERE external_id = $1`, [messageId])).length).toBe(1);
      expect((await postForm(fields)).status).toBe(403);
    });

    it('stores a signed post composed from message-headers and the bodies', async () => {
      const messageId = `mg-parts-${Date.now()}@mail.example`;
      const headers = [['From', 'Ada Lovelace <ada@mail.example>'], ['To', INBOX], ['Subject', 'Bins'], ['Message-Id', `<${messageId}>`]];
      const res = await postForm(signed({ recipient: INBOX, 'message-headers': JSON.stringify(headers), 'body-plain': 'Bins not emptied.\n\n-- \nAda' }));
      expect(res.status).toBe(200);
      const [row] = await t.db.query<{ text: string }>(`SELECT text FROM message WHERE external_id = $1`, [messageId]);
      expect(row.text).toBe('Bins not emptied.');
    });

    it.each([
      ['a wrong key', { key: 'not-the-key' }],
      ['a stale timestamp', { timestamp: Math.floor(Date.now() / 1000) - 3600 }],
    ])('answers 403 to %s and stores nothing', async (_label, opts) => {
      const before = await count();
      const res = await postForm(signed({ recipient: INBOX, 'body-mime': mime(`mg-bad-${Date.now()}@mail.example`) }, opts));
      expect(res.status).toBe(403);
      expect(await count()).toBe(before);
    });

    it('takes a multipart post too (Mailgun sends one when the mail has attachments)', async () => {
      const messageId = `mg-multi-${Date.now()}@mail.example`;
      const form = new FormData();
      for (const [k, v] of Object.entries(signed({ recipient: INBOX, 'body-mime': mime(messageId) }))) form.append(k, v);
      form.append('attachment-1', new Blob(['not used: body-mime holds the whole mail']), 'note.txt');
      const res = await fetch(`${t.url}/channels/email/inbound`, { method: 'POST', body: form });
      expect(res.status).toBe(200);
      expect((await t.db.query(`SELECT id FROM message WHERE external_id = $1`, [messageId])).length).toBe(1);
    });

    it('refuses a mail for a mailbox that is not here with 406 (Mailgun’s “do not retry”), and stores nothing', async () => {
      const before = await count();
      const messageId = `mg-nobody-${Date.now()}@mail.example`;
      const res = await postForm(signed({ recipient: 'nobody@inbound.council.test', 'body-mime': mime(messageId).replace(INBOX, 'nobody@inbound.council.test') }));
      expect(res.status).toBe(406);
      expect(res.body.error).toMatchObject({ code: 'Validation', message: expect.stringMatching(/No such mailbox|None of the recipients/), details: { provider: 'mailgun', retry: false } });
      expect(await count()).toBe(before);
    });

    it('answers 400 to a form that is neither provider', async () => {
      expect((await postForm({ hello: 'world' })).status).toBe(400);
    });
  });

  describe('SendGrid Inbound Parse', () => {
    async function postMultipart(fields: Record<string, string>, authorization?: string) {
      const form = new FormData();
      for (const [k, v] of Object.entries(fields)) form.append(k, v);
      const res = await fetch(`${t.url}/channels/email/inbound`, { method: 'POST', body: form, headers: authorization ? { authorization } : {} });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    }

    it('stores a raw-MIME post authenticated with the inbox token', async () => {
      const messageId = `sg-raw-${Date.now()}@mail.example`;
      const email = `From: Grace <grace@mail.example>\r\nTo: ${INBOX}\r\nSubject: Library card\r\nMessage-ID: <${messageId}>\r\n\r\nMy library card was declined.\r\n`;
      const res = await postMultipart({ email, envelope: JSON.stringify({ to: [INBOX], from: 'grace@mail.example' }), 'spam_score': '0.1' }, basic(token));
      expect(res.status).toBe(200);
      expect((await t.db.query(`SELECT id FROM message WHERE external_id = $1`, [messageId])).length).toBe(1);
    });

    it('stores a parsed post recomposed from its headers and text', async () => {
      const messageId = `sg-parsed-${Date.now()}@mail.example`;
      const headers = `From: Grace <grace@mail.example>\nTo: ${INBOX}\nSubject: Library fine\nMessage-ID: <${messageId}>\nContent-Type: multipart/alternative; boundary="x"\n`;
      const res = await postMultipart({ headers, text: 'Why was I fined?\n\nSent from my iPhone', html: '<p>Why was I fined?</p>', envelope: JSON.stringify({ to: [INBOX], from: 'grace@mail.example' }) }, basic(token));
      expect(res.status).toBe(200);
      const [row] = await t.db.query<{ text: string }>(`SELECT text FROM message WHERE external_id = $1`, [messageId]);
      expect(row.text).toBe('Why was I fined?');
    });

    it('refuses a malformed mail with 400 (SendGrid has no “do not retry” answer)', async () => {
      const before = await count();
      const res = await postMultipart({ email: 'this is not a mail', envelope: JSON.stringify({ to: [INBOX], from: 'a@b.example' }) }, basic(token));
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({ code: 'Validation', details: { provider: 'sendgrid', retry: false } });
      expect(await count()).toBe(before);
    });

    it('answers 401 without the inbox token and stores nothing', async () => {
      const before = await count();
      const res = await postMultipart({ email: 'From: a@b.example\r\n\r\nx', envelope: JSON.stringify({ to: [INBOX], from: 'a@b.example' }) });
      expect(res.status).toBe(401);
      expect(await count()).toBe(before);
    });
  });
});
