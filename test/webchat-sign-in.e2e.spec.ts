import { createHmac, randomBytes } from 'node:crypto';
import { InboxesService } from '../src/inboxes/inboxes.service';
import { startTestApp, TestApp } from './support/app';
import { eventually } from './support/eventually';
import { startSmtpCapture } from './support/smtp-capture';
import { connectWidget, postSession, WidgetClient } from './support/widget-client';

const SECRET = randomBytes(32).toString('hex');

/**
 * Signing in on a shared browser: the anonymous visitor before (their pre-chat answers, their messages) must leave no
 * trace on the signed-in resident's visitor, case, identity or transcript; the same signed-in resident coming back
 * with their own token keeps their visitor.
 */
describe('Web chat: an anonymous visitor then a signed-in resident on one browser', () => {
  let t: TestApp;
  let smtp: Awaited<ReturnType<typeof startSmtpCapture>>;
  /** Every mail the hub sent: its recipients, subject and text, to search. */
  const mail = () => smtp.mails.map((m) => [JSON.stringify(m.to), m.subject, m.text].join('\n'));
  let inbox: { token: string; secret: string; id: string };
  const widgets: WidgetClient[] = [];

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    const smtpPort = smtp.port;
    t = await startTestApp({
      env: {
        AUTH_SECRET: SECRET,
        EMAIL_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        WEBCHAT_MESSAGES_PER_MINUTE: '1000',
        WEBCHAT_SESSIONS_PER_MINUTE: '10000',
        DELIVERY_BACKOFF_MS: '50',
      },
    });
    const inboxes = t.get(InboxesService);
    const created = await inboxes.create({ channel: 'webchat', name: 'Anytown web chat', department: 'customer-services', settings: { council: 'Anytown Council' } });
    inbox = { token: created.token, secret: created.secret, id: created.inbox.id };
    await inboxes.create({ channel: 'email', name: 'Anytown email', department: 'customer-services', address: 'contact@anytown.gov.uk' });
  });

  afterEach(() => {
    for (const w of widgets.splice(0)) w.close();
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  const hashOf = (id: string) => createHmac('sha256', inbox.secret).update(id).digest('hex');

  async function widget(token: string) {
    const w = await connectWidget(t.url, token);
    widgets.push(w);
    return w;
  }

  it('gives a resident who signs in after an anonymous visitor a fresh visitor, with none of the pre-chat answers', async () => {
    // Alice, anonymous: the pre-chat form and a message.
    const alice = await postSession(t.url, { inbox: inbox.token });
    expect(alice.status).toBe(200);
    const aliceWidget = await widget(alice.body.visitorToken);
    const prechat = (await aliceWidget.send('prechat', { name: 'Alice Anon', email: 'alice@example.com', phone: '07700 900456' })) as any;
    expect(prechat).toMatchObject({ ok: true, visitor: { name: 'Alice Anon', email: 'alice@example.com', prechatDone: true } });
    expect(await aliceWidget.send('message:send', { text: 'Alice: my housing benefit claim', clientId: 'alice-1' })).toMatchObject({ ok: true });
    const aliceCase = (await aliceWidget.waitFor('conversation')).caseId;
    aliceWidget.close();

    // Bob signs in on the same browser: the widget sends Alice's token with his verified identity.
    const bob = await postSession(t.url, { inbox: inbox.token, visitorToken: alice.body.visitorToken, identity: { id: 'bob-42', hash: hashOf('bob-42') } });
    expect(bob.status).toBe(200);
    expect(bob.body.visitor.id).not.toBe(alice.body.visitor.id);
    expect(bob.body.visitorToken).not.toBe(alice.body.visitorToken);
    expect(bob.body.visitor).toEqual({ id: bob.body.visitor.id, name: null, email: null, phone: null, prechatDone: false });

    const bobWidget = await widget(bob.body.visitorToken);
    expect(bobWidget.hello.visitor).toEqual(bob.body.visitor);
    expect(bobWidget.hello.conversation).toBeNull();
    expect(bobWidget.hello.messages).toEqual([]);
    expect(await bobWidget.send('message:send', { text: 'Hello, this is Bob about my bins', clientId: 'bob-1' })).toMatchObject({ ok: true });
    const bobCase = (await bobWidget.waitFor('conversation')).caseId;
    expect(bobCase).not.toBe(aliceCase);

    const texts = (await t.db.query(`SELECT coalesce(text, '') AS text FROM message WHERE case_id = $1`, [bobCase])).map((r) => String(r.text)).join('\n');
    expect(texts).toContain('this is Bob');
    expect(texts).not.toMatch(/Alice|alice@example\.com|900456/i);

    const [identity] = await t.db.query(
      `SELECT i.display_name, r.name AS resident_name FROM identity i JOIN resident r ON r.id = i.resident_id WHERE i.channel = 'webchat' AND i.address = 'user:bob-42'`,
      [],
    );
    expect(identity.display_name).not.toBe('Alice Anon');
    expect(identity.resident_name).not.toBe('Alice Anon');
    // Alice's unverified email and phone were not given to Bob's resident.
    const bobAddresses = await t.db.query(`SELECT address FROM identity WHERE resident_id = (SELECT resident_id FROM "case" WHERE id = $1)`, [bobCase]);
    expect(bobAddresses.map((r) => r.address)).toEqual(['user:bob-42']);
    const [visitorRow] = await t.db.query(`SELECT name, email, phone, prechat_at FROM webchat_visitor WHERE id = $1`, [bob.body.visitor.id]);
    expect(visitorRow).toEqual({ name: null, email: null, phone: null, prechat_at: null });

    // Bob asks for the transcript: he gave no email, so none is sent, and nothing goes to Alice.
    expect(await bobWidget.send('end', { transcript: true })).toEqual({ ok: true, transcript: false });
    await new Promise((r) => setTimeout(r, 500));
    expect(mail().filter((m) => m.includes('alice@example.com'))).toEqual([]);
    expect(await t.db.query(`SELECT text FROM message WHERE case_id = $1 AND text LIKE '%transcript%'`, [bobCase])).toEqual([]);

    // Alice's visitor and case are untouched.
    const [aliceRow] = await t.db.query(`SELECT address, verified, name, email FROM webchat_visitor WHERE id = $1`, [alice.body.visitor.id]);
    expect(aliceRow).toEqual({ address: `visitor:${alice.body.visitor.id}`, verified: false, name: 'Alice Anon', email: 'alice@example.com' });
  });

  it('keeps the visitor of a signed-in resident who comes back with their own token', async () => {
    const first = await postSession(t.url, { inbox: inbox.token, identity: { id: 'carol-7', hash: hashOf('carol-7'), name: 'Carol Signed', email: 'Carol@Example.org' } });
    expect(first.status).toBe(200);
    expect(first.body.visitor).toMatchObject({ name: 'Carol Signed', email: 'carol@example.org', prechatDone: false });
    const w = await widget(first.body.visitorToken);
    expect(await w.send('prechat', { name: 'Carol Signed', phone: '07700 900789' })).toMatchObject({ ok: true, visitor: { prechatDone: true } });
    expect(await w.send('message:send', { text: 'Carol here about parking', clientId: 'carol-1' })).toMatchObject({ ok: true });
    const conversation = await w.waitFor('conversation');
    w.close();

    const again = await postSession(t.url, { inbox: inbox.token, visitorToken: first.body.visitorToken, identity: { id: 'carol-7', hash: hashOf('carol-7') } });
    expect(again.status).toBe(200);
    expect(again.body.visitor).toEqual({ id: first.body.visitor.id, name: 'Carol Signed', email: 'carol@example.org', phone: '+447700900789', prechatDone: true });
    const back = await widget(again.body.visitorToken);
    expect(back.hello.visitor.id).toBe(first.body.visitor.id);
    expect(back.hello.conversation).toEqual(conversation);
    expect(back.hello.messages).toEqual([expect.objectContaining({ text: 'Carol here about parking', clientId: 'carol-1' })]);
    // Her transcript still goes to her own email.
    expect(await back.send('end', { transcript: true })).toEqual({ ok: true, transcript: true });
    await eventually(() => expect(mail().some((m) => m.includes('transcript of your web chat') && m.includes('carol@example.org'))).toBe(true));
  });
});
