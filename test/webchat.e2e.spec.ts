import { JwtService } from '@nestjs/jwt';
import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { request } from 'node:http';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { DepartmentsService } from '../src/departments/departments.service';
import { InboxesService } from '../src/inboxes/inboxes.service';
import { WebchatChannelAdapter } from '../src/channels/webchat/webchat.adapter';
import { EmailReceiver } from '../src/channels/email/email-receiver.service';
import { startTestApp, TestApp } from './support/app';
import { connectConsole, ConsoleClient } from './support/console-client';
import { eventually } from './support/eventually';
import { givenAgent } from './support/given';
import { connectWidget, openWidget, postSession, WidgetClient } from './support/widget-client';

const SECRET = randomBytes(32).toString('hex');
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000' + '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082', 'hex');

const WEEK = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
/** A weekday three days away: neither today nor tomorrow in London, whenever the test runs. */
const FAR_DAY = WEEK[new Date(Date.now() + 3 * 86_400_000).getUTCDay()];
/**
 * Hours that make the test independent of the clock: every department always open (no bank holidays), except
 * Highways, open only on FAR_DAY, so closed now.
 */
const HOURS = `timeZone: Europe/London
hours: { ${WEEK.map((d) => `${d}: "00:00-24:00"`).join(', ')} }
bankHolidays: { file: no-bank-holidays.json }
departments:
  highways: { hours: { ${WEEK.map((d) => `${d}: ${d === FAR_DAY ? '"00:00-24:00"' : 'closed'}`).join(', ')} } }
`;

describe('Web chat: POST /webchat/v1/session and socket.io /webchat', () => {
  let t: TestApp;
  let configDir: string;
  let smtp: SMTPServer;
  const mail: string[] = [];
  let inbox: { token: string; secret: string; id: string };
  let closed: { token: string };
  const widgets: Array<WidgetClient | ConsoleClient> = [];

  beforeAll(async () => {
    configDir = mkdtempSync(join(tmpdir(), 'hub-webchat-config-'));
    cpSync(join(__dirname, '..', 'config'), configDir, { recursive: true });
    writeFileSync(join(configDir, 'opening-hours.yaml'), HOURS);
    writeFileSync(join(configDir, 'no-bank-holidays.json'), JSON.stringify({ 'england-and-wales': { division: 'england-and-wales', events: [] } }));
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      onData(stream, _session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => (mail.push(Buffer.concat(chunks).toString()), callback()));
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const smtpPort = (smtp.server.address() as { port: number }).port;
    t = await startTestApp({
      env: {
        AUTH_SECRET: SECRET,
        CONFIG_DIR: configDir,
        EMAIL_SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
        WEBCHAT_UNSEEN_EMAIL_AFTER_MS: '1000',
        WEBCHAT_ABANDON_AFTER_MS: '1000',
        WEBCHAT_MESSAGES_PER_MINUTE: '1000',
        WEBCHAT_SESSIONS_PER_MINUTE: '10000',
        DELIVERY_BACKOFF_MS: '50',
      },
    });
    const inboxes = t.get(InboxesService);
    const created = await inboxes.create({ channel: 'webchat', name: 'Anytown web chat', department: 'customer-services', settings: { council: 'Anytown Council' } });
    inbox = { token: created.token, secret: created.secret, id: created.inbox.id };
    closed = await inboxes.create({ channel: 'webchat', name: 'Highways web chat', department: 'highways' });
    await inboxes.create({ channel: 'email', name: 'Anytown email', department: 'customer-services', address: 'contact@anytown.gov.uk' });
  });

  afterEach(() => {
    for (const w of widgets.splice(0)) w.close();
  });

  afterAll(async () => {
    await t?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    rmSync(configDir, { recursive: true, force: true });
  });

  async function visitor(token = inbox.token) {
    const res = await postSession(t.url, { inbox: token });
    expect(res.status).toBe(200);
    const widget = await connectWidget(t.url, res.body.visitorToken);
    widgets.push(widget);
    return { session: res.body, widget };
  }

  const count = async (sql: string, params: unknown[]) => Number((await t.db.query(sql, params))[0].n);

  describe('sessions', () => {
    it('issues a visitor token with what the widget needs, CORS for any origin', async () => {
      const res = await postSession(t.url, { inbox: inbox.token });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.body).toMatchObject({
        visitor: { id: expect.any(String), name: null, prechatDone: false },
        inbox: { name: 'Anytown web chat', council: 'Anytown Council', departmentName: 'Customer Services' },
        open: false, // nobody is available yet
        reason: 'nobody',
        nextOpen: null,
        hours: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'], opens: '00:00', closes: '24:00' }],
        closedOnBankHolidays: false,
        timeZone: 'Europe/London',
        limits: { maxTextLength: 2000, maxAttachmentBytes: 10 * 1024 * 1024 },
      });
      expect(res.body.services.length).toBeGreaterThan(5);
      const again = await postSession(t.url, { inbox: inbox.token, visitorToken: res.body.visitorToken });
      expect(again.body.visitor.id).toBe(res.body.visitor.id);
    });

    it('lets a widget on another site long-poll the socket (CORS, no credentials)', async () => {
      const res = await fetch(`${t.url}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://www.anytown.gov.uk' } });
      expect(res.status).toBe(200);
      expect(res.headers.get('access-control-allow-origin')).toBe('https://www.anytown.gov.uk');
      expect(res.headers.get('access-control-allow-credentials')).toBeNull();
      const preflight = await fetch(`${t.url}/webchat/v1/session`, { method: 'OPTIONS', headers: { origin: 'https://www.anytown.gov.uk', 'access-control-request-method': 'POST' } });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-headers')).toMatch(/Content-Type/);
    });

    it('sends the CORS headers with every answer, errors included, so a widget on another site can read them', async () => {
      const origin = { origin: 'https://www.anytown.gov.uk' };
      const { session } = await visitor();
      const form = new FormData();
      form.append('file', new Blob([Buffer.alloc(10 * 1024 * 1024 + 1)], { type: 'image/png' }), 'huge.png');
      const tooBig = await fetch(`${t.url}/webchat/v1/attachments`, { method: 'POST', headers: { ...origin, authorization: `Bearer ${session.visitorToken}` }, body: form });
      const malformed = await fetch(`${t.url}/webchat/v1/session`, { method: 'POST', headers: { ...origin, 'content-type': 'application/json' }, body: '{"inbox": ' });
      const unknown = await fetch(`${t.url}/webchat/v1/nothing-here`, { headers: origin });
      const unauthorised = await fetch(`${t.url}/webchat/v1/attachments/${randomUUID()}`, { headers: origin });
      for (const [res, status] of [[tooBig, 413], [malformed, 400], [unknown, 404], [unauthorised, 401]] as const) {
        expect({ status: res.status, cors: res.headers.get('access-control-allow-origin') }).toEqual({ status, cors: '*' });
        expect(((await res.json()) as any).error.message).toEqual(expect.any(String));
      }
    });

    it('answers an unknown inbox 404 and a bad body 400', async () => {
      expect((await postSession(t.url, { inbox: 'hub_in_nope' })).status).toBe(404);
      const bad = await postSession(t.url, { inbox: 5 });
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toMatch(/inbox/);
    });

    it('starts a new visitor for a forged or expired token', async () => {
      const forged = await new JwtService({ secret: 'not-the-hub-secret-not-the-hub-secret' }).signAsync({ sub: randomUUID(), inbox: inbox.id }, { audience: 'webchat', issuer: 'contact-hub' });
      const res = await postSession(t.url, { inbox: inbox.token, visitorToken: forged });
      expect(res.status).toBe(200);
      expect(res.body.visitor.id).not.toBe(JSON.parse(Buffer.from(forged.split('.')[1], 'base64url').toString()).sub);
    });

    it('links a signed-in resident by the HMAC of their id, and refuses a wrong hash', async () => {
      const hash = createHmac('sha256', inbox.secret).update('resident-42').digest('hex');
      const good = await postSession(t.url, { inbox: inbox.token, identity: { id: 'resident-42', hash, name: 'Ada Lovelace' } });
      expect(good.status).toBe(200);
      expect(good.body.visitor.name).toBe('Ada Lovelace');
      expect(await count(`SELECT count(*) AS n FROM identity WHERE channel = 'webchat' AND address = 'user:resident-42' AND verified`, [])).toBe(1);
      const bad = await postSession(t.url, { inbox: inbox.token, identity: { id: 'resident-42', hash: createHmac('sha256', 'wrong').update('resident-42').digest('hex') } });
      expect(bad.status).toBe(401);
      expect(bad.body.error.message).toBe('identity hash does not match');
    });

    it('says a department out of hours is closed, and still takes the message as a case', async () => {
      const { session, widget } = await visitor(closed.token);
      expect(session.open).toBe(false);
      expect(session.openingHours).toMatch(/^[A-Z][a-z]+day midnight to midnight$/);
      // The same as data, for the widget to word in the resident's language.
      const availability = { open: false, reason: 'closed', timeZone: 'Europe/London', hours: [{ days: [FAR_DAY], opens: '00:00', closes: '24:00' }], closedOnBankHolidays: false };
      expect(session).toMatchObject(availability);
      const nextOpen = new Date(session.nextOpen);
      expect(session.nextOpen).toBe(nextOpen.toISOString());
      expect(WEEK[new Date(nextOpen.getTime() + 12 * 3_600_000).getUTCDay()]).toBe(FAR_DAY); // its midnight in London: that day
      expect(nextOpen.getTime() - Date.now()).toBeGreaterThan(86_400_000);
      expect(nextOpen.getTime() - Date.now()).toBeLessThan(3 * 86_400_000);
      expect(widget.hello).toMatchObject({ ...availability, nextOpen: session.nextOpen });
      const ack = await widget.send('message:send', { text: 'The street light on Elm Road is out', clientId: 'c1' });
      expect(ack).toMatchObject({ ok: true, message: { direction: 'resident', clientId: 'c1' } });
      expect(await count(`SELECT count(*) AS n FROM "case" WHERE channel = 'webchat' AND inbox_id = (SELECT inbox_id FROM "case" c JOIN message m ON m.case_id = c.id WHERE m.id = $1)`, [(ack as any).message.id])).toBe(1);
    });

    // Signing in on a shared browser: the anonymous visitor before must leave no trace on the signed-in resident's
    // visitor, case, identity or transcript; the same signed-in resident coming back with their own token keeps theirs.
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
      expect(mail.filter((m) => m.includes('alice@example.com'))).toEqual([]);
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
      await eventually(() => expect(mail.some((m) => m.includes('transcript of your web chat') && m.includes('carol@example.org'))).toBe(true));
    });
  });

  describe('socket', () => {
    it('refuses forged and expired tokens at the handshake', async () => {
      const forged = await new JwtService({ secret: 'forged-secret-forged-secret-forged-secret' }).signAsync({ sub: randomUUID(), inbox: inbox.id }, { audience: 'webchat', issuer: 'contact-hub' });
      const expired = await new JwtService({ secret: SECRET }).signAsync({ sub: randomUUID(), inbox: inbox.id, exp: Math.floor(Date.now() / 1000) - 60 }, { audience: 'webchat', issuer: 'contact-hub' });
      const staffLike = await new JwtService({ secret: SECRET }).signAsync({ sub: randomUUID() }, { audience: 'staff', issuer: 'contact-hub' });
      for (const token of [forged, expired, staffLike, 'nonsense', undefined]) {
        await expect(connectWidget(t.url, token)).rejects.toMatchObject({ message: 'Unauthorized' });
      }
    });

    it('turns a message into a case, and a reload (same token, new socket) gets the history', async () => {
      const { session, widget } = await visitor();
      expect(widget.hello).toMatchObject({ conversation: null, messages: [], visitor: { id: session.visitor.id } });
      const ack = await widget.send('message:send', { text: 'My bin was not collected', clientId: 'm-1' });
      expect(ack.ok).toBe(true);
      const conversation = await widget.waitFor('conversation');
      const repeat = await widget.send('message:send', { text: 'My bin was not collected', clientId: 'm-1' });
      expect((repeat as any).message.id).toBe((ack as any).message.id);
      widget.close();
      const reloaded = await connectWidget(t.url, session.visitorToken);
      widgets.push(reloaded);
      expect(reloaded.hello.conversation).toEqual(conversation);
      expect(reloaded.hello.messages).toEqual([expect.objectContaining({ id: (ack as any).message.id, text: 'My bin was not collected', clientId: 'm-1', direction: 'resident' })]);
      const secondTab = await connectWidget(t.url, session.visitorToken);
      widgets.push(secondTab);
      const next = await reloaded.send('message:send', { text: 'It is Elm Road', clientId: 'm-2' });
      await secondTab.waitFor('message', (m) => m.id === (next as any).message.id);
      expect(await count(`SELECT count(*) AS n FROM message WHERE case_id = $1`, [conversation.caseId])).toBe(2);
    });

    it('never lets a visitor read or write another visitor’s conversation', async () => {
      const a = await visitor();
      const sent = (await a.widget.send('message:send', { text: 'Private: my council tax account', clientId: 'a-1' })) as any;
      const aCase = (await a.widget.waitFor('conversation')).caseId;
      const b = await visitor();
      expect(b.widget.hello.conversation).toBeNull();
      expect(await b.widget.send('seen', { messageId: sent.message.id })).toMatchObject({ ok: false, error: { code: 'NotFound' } });
      const synced = (await b.widget.send('sync', { since: b.widget.hello.cursor })) as any;
      expect(synced.messages).toEqual([]);
      await b.widget.send('message:send', { text: 'Hello', clientId: 'a-1' });
      const bCase = (await b.widget.waitFor('conversation')).caseId;
      expect(bCase).not.toBe(aCase);
      expect(await count(`SELECT count(*) AS n FROM message WHERE case_id = $1`, [aCase])).toBe(1);
      expect(b.widget.events('message').filter((m) => m.id === sent.message.id)).toEqual([]);
    });

    it('answers bad payloads with Validation, stores nothing, and keeps the socket up', async () => {
      const { widget } = await visitor();
      const before = await count(`SELECT count(*) AS n FROM message`, []);
      for (const payload of [{ text: 'x'.repeat(2001), clientId: 'big' }, { text: '   ', clientId: 'empty' }, { text: 5, clientId: 'num' }, { text: 'hi' }, 'just a string', [1, 2]]) {
        expect(await widget.send('message:send', payload)).toMatchObject({ ok: false, error: { code: 'Validation' } });
      }
      expect(await widget.send('typing', { typing: 'yes' })).toMatchObject({ ok: false, error: { code: 'Validation' } });
      expect(await widget.send('prechat', { name: 42 })).toMatchObject({ ok: false, error: { code: 'Validation' } });
      expect(await widget.send('message:sned', { text: 'hi', clientId: 'typo' })).toEqual({ ok: false, error: { code: 'Validation', message: 'Unknown command: message:sned' } });
      expect(await widget.send('message:send', { text: 'hi', clientId: 'x', attachmentIds: [randomUUID()] })).toMatchObject({ ok: false, error: { code: 'Validation' } });
      expect(await count(`SELECT count(*) AS n FROM message`, [])).toBe(before);
      expect(widget.socket.connected).toBe(true);
      expect(await widget.send('message:send', { text: 'x'.repeat(2000), clientId: 'ok' })).toMatchObject({ ok: true });
    });

    it('puts the pre-chat answers on the resident and the case, once, and files the case under the chosen service', async () => {
      const services = await t.get(DepartmentsService).listServices();
      const potholes = services.find((s) => s.name === 'Report a pothole')!;
      const { widget } = await visitor();
      const ack = (await widget.send('prechat', { name: 'Grace Hopper', email: 'Grace@Example.org', phone: '07700 900123', serviceId: potholes.id })) as any;
      expect(ack).toMatchObject({ ok: true, visitor: { name: 'Grace Hopper', email: 'grace@example.org', phone: '+447700900123', prechatDone: true } });
      expect((await widget.send('prechat', { name: 'Someone Else' })) as any).toMatchObject({ ok: true, visitor: { name: 'Grace Hopper' } });
      await widget.send('message:send', { text: 'There is a hole in the road', clientId: 'p-1' });
      const caseId = (await widget.waitFor('conversation')).caseId;
      const [kase] = await t.db.query(`SELECT c.service_id, c.department_id, r.name FROM "case" c JOIN resident r ON r.id = c.resident_id WHERE c.id = $1`, [caseId]);
      expect(kase).toMatchObject({ service_id: potholes.id, department_id: potholes.departmentId, name: 'Grace Hopper' });
      const system = await eventually(async () => {
        const rows = await t.db.query(`SELECT text FROM message WHERE case_id = $1 AND direction = 'system'`, [caseId]);
        expect(rows).toHaveLength(1);
        return rows[0].text as string;
      });
      expect(system).toContain('Grace Hopper');
      expect(system).toContain('grace@example.org');
      expect(system).toContain('Report a pothole');
      const identities = await t.db.query(`SELECT channel, address, verified FROM identity WHERE resident_id = (SELECT resident_id FROM "case" WHERE id = $1) ORDER BY channel`, [caseId]);
      expect(identities).toEqual([
        { channel: 'email', address: 'grace@example.org', verified: false },
        { channel: 'sms', address: '+447700900123', verified: false },
        { channel: 'webchat', address: expect.stringMatching(/^visitor:/), verified: false },
      ]);
    });

    it('files a case opened before the pre-chat form under the service chosen in it, when it has none', async () => {
      const services = await t.get(DepartmentsService).listServices();
      const potholes = services.find((s) => s.name === 'Report a pothole')!;
      const { widget } = await visitor();
      await widget.send('message:send', { text: 'Hello, I have a question', clientId: 'late-1' });
      const caseId = (await widget.waitFor('conversation')).caseId;
      const [before] = await t.db.query(`SELECT service_id, department_id, version FROM "case" WHERE id = $1`, [caseId]);
      expect(before.service_id).toBeNull();
      expect(await widget.send('prechat', { name: 'Mary Seacole', serviceId: potholes.id })).toMatchObject({ ok: true });
      const [after] = await t.db.query(`SELECT service_id, department_id, version FROM "case" WHERE id = $1`, [caseId]);
      expect(after).toMatchObject({ service_id: potholes.id, department_id: potholes.departmentId, version: Number(before.version) + 1 });

      // A case that has a service keeps it.
      const other = services.find((s) => s.id !== potholes.id && s.departmentId !== potholes.departmentId)!;
      const second = await visitor();
      await second.widget.send('prechat', { name: 'Mary Seacole', serviceId: potholes.id });
      await second.widget.send('message:send', { text: 'About the hole', clientId: 'late-2' });
      const kept = (await second.widget.waitFor('conversation')).caseId;
      await t.db.query(`UPDATE webchat_visitor SET prechat_at = NULL, service_id = NULL WHERE address = (SELECT address FROM identity i JOIN "case" c ON c.resident_id = i.resident_id WHERE c.id = $1 AND i.channel = 'webchat')`, [kept]);
      expect(await second.widget.send('prechat', { name: 'Mary Seacole', serviceId: other.id })).toMatchObject({ ok: true });
      expect((await t.db.query(`SELECT service_id FROM "case" WHERE id = $1`, [kept]))[0].service_id).toBe(potholes.id);
    });

    it('tells the widgets waiting on a department, and only those, when its availability changes', async () => {
      const potholes = (await t.get(DepartmentsService).listServices()).find((s) => s.name === 'Report a pothole')!;
      const bystander = await visitor();
      const roads = await visitor();
      await roads.widget.send('prechat', { name: 'Ray Road', serviceId: potholes.id });
      await roads.widget.send('message:send', { text: 'A deep hole on the bypass', clientId: 'dept-1' });
      await roads.widget.waitFor('conversation');
      const agent = await givenAgent(t, { name: 'Hal Ways', departments: ['highways'] });
      const agentSocket = await connectConsole(t.url, { token: agent.token });
      widgets.push(agentSocket);
      expect(await agentSocket.send('agent:presence', { presence: 'away' })).toMatchObject({ ok: true });
      expect(await agentSocket.send('agent:presence', { presence: 'available' })).toMatchObject({ ok: true });
      // Highways is closed now (its hours above), whoever is available.
      expect(await roads.widget.waitFor('status')).toEqual({
        open: false,
        reason: 'closed',
        nextOpen: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/),
        timeZone: 'Europe/London',
        hours: [{ days: [FAR_DAY], opens: '00:00', closes: '24:00' }],
        closedOnBankHolidays: false,
        // Kept in English for older clients; the widget words `reason` and `hours` itself.
        message: expect.stringMatching(/^We are closed now\. Opening hours: .*day midnight to midnight/),
      });
      expect(bystander.widget.events('status')).toEqual([]);
    });

    it('brings the agent’s reply, name, typing and read state to the widget; the resident’s typing and seen to the console', async () => {
      const agent = await givenAgent(t, { name: 'Sam Taylor', departments: ['customer-services'] });
      const agentSocket = await connectConsole(t.url, { token: agent.token });
      widgets.push(agentSocket);
      const { widget } = await visitor();
      await widget.send('prechat', { name: 'Ada', email: 'ada@example.org' });
      const sent = (await widget.send('message:send', { text: 'Can I get a new recycling box?', clientId: 'r-1' })) as any;
      const caseId = (await widget.waitFor('conversation')).caseId;
      await widget.waitFor('queue', (q) => q.position >= 1);

      expect(await agentSocket.send('case:claim', { caseId })).toMatchObject({ ok: true });
      expect(await widget.waitFor('agent:joined')).toEqual({ name: 'Sam Taylor' });
      expect(await agentSocket.send('case:open', { caseId })).toMatchObject({ ok: true });
      expect(await widget.waitFor('read')).toEqual({ upTo: sent.message.id });

      await agentSocket.send('case:typing', { caseId, typing: true });
      expect(await widget.waitFor('agent:typing')).toEqual({ typing: true, agentName: 'Sam Taylor' });
      expect(await widget.send('typing', { typing: true })).toEqual({ ok: true });
      const typing = await agentSocket.waitFor('case:typing', (p) => p.caseId === caseId);
      expect(typing).toMatchObject({ typing: true, agent: { name: 'Ada' }, who: 'resident' });

      const reply = (await agentSocket.send('case:reply', { caseId, text: 'Yes, one is on its way' })) as any;
      const got = await widget.waitFor('message', (m) => m.direction === 'agent');
      expect(got).toMatchObject({ id: reply.message.id, text: 'Yes, one is on its way', authorName: 'Sam Taylor' });
      await agentSocket.waitFor('message:status', (s) => s.messageId === reply.message.id && s.status === 'delivered');
      expect(await widget.send('seen', { messageId: got.id })).toEqual({ ok: true });
      await agentSocket.waitFor('message:status', (s) => s.messageId === reply.message.id && s.status === 'read');
      // Seen in time: no email.
      await new Promise((r) => setTimeout(r, 1500));
      expect(mail.filter((m) => m.includes('Yes, one is on its way'))).toEqual([]);
    });

    it('marks a reply read when the widget says it was seen before the reply’s `sent` is committed', async () => {
      const agent = await givenAgent(t, { name: 'Ola Nowak', departments: ['customer-services'] });
      const agentSocket = await connectConsole(t.url, { token: agent.token });
      widgets.push(agentSocket);
      const { widget } = await visitor();
      await widget.send('message:send', { text: 'Is the tip open on Sunday?', clientId: 'race-1' });
      const caseId = (await widget.waitFor('conversation')).caseId;
      expect(await agentSocket.send('case:claim', { caseId })).toMatchObject({ ok: true });
      // The widget's `seen` is handled completely while the delivery job still holds the reply before `sent`.
      const adapter = t.get(WebchatChannelAdapter);
      const send = adapter.send.bind(adapter);
      let seenAck: Promise<unknown> | undefined;
      const spy = jest.spyOn(adapter, 'send').mockImplementationOnce(async (msg) => {
        const result = await send(msg);
        const pushed = await widget.waitFor('message', (m) => m.id === msg.messageId);
        seenAck = widget.send('seen', { messageId: pushed.id });
        expect(await seenAck).toEqual({ ok: true });
        return result;
      });
      try {
        const reply = (await agentSocket.send('case:reply', { caseId, text: 'Yes, 10am to 4pm' })) as any;
        await eventually(() => expect(seenAck).toBeDefined());
        await eventually(async () => expect((await t.db.query(`SELECT delivery_status FROM message WHERE id = $1`, [reply.message.id]))[0].delivery_status).toBe('read'));
      } finally {
        spy.mockRestore();
      }
    });

    it('emails a reply the resident has not seen, and the transcript when they end the chat', async () => {
      const agent = await givenAgent(t, { name: 'Nia Roberts', departments: ['customer-services'] });
      const agentSocket = await connectConsole(t.url, { token: agent.token });
      widgets.push(agentSocket);
      const { widget } = await visitor();
      await widget.send('prechat', { name: 'Alan', email: 'alan@example.org' });
      await widget.send('message:send', { text: 'Where do I park for the town hall?', clientId: 'e-1' });
      const caseId = (await widget.waitFor('conversation')).caseId;
      expect(await agentSocket.send('case:claim', { caseId })).toMatchObject({ ok: true });
      await agentSocket.send('case:reply', { caseId, text: 'Behind the building, free after 6pm' });
      await widget.waitFor('message', (m) => m.direction === 'agent');
      const emailed = await eventually(() => {
        const found = mail.find((m) => m.includes('Behind the building, free after 6pm') && m.includes('alan@example.org'));
        if (!found) throw new Error('no email yet');
        return found;
      });
      expect(emailed).toMatch(/^To: .*alan@example\.org/m);

      // The resident answers the email from their mail client: the answer returns to the chat's case, not a new one.
      const replyTo = /^Reply-To:\s+(?:.*<)?(reply\+[^@\s>]+@[^\s>]+)/im.exec(emailed)?.[1]; // the header may be folded
      if (!replyTo) throw new Error(`no Reply-To in:\n${emailed.slice(0, 1500)}`);
      const answer = [
        'From: Alan <alan@example.org>',
        `To: ${replyTo}`,
        'Subject: Re: your web chat',
        `Message-ID: <answer-${randomUUID()}@example.org>`,
        'Date: ' + new Date().toUTCString(),
        'Content-Type: text/plain; charset=utf-8',
        '',
        'Thanks, I will park there tonight.',
        '',
      ].join('\r\n');
      const [receipt] = await t.get(EmailReceiver).receive(Buffer.from(answer), { mailFrom: 'alan@example.org', rcptTo: [replyTo!] });
      expect(receipt).toMatchObject({ outcome: 'stored', caseId });
      const [back] = await t.db.query(`SELECT channel, direction FROM message WHERE case_id = $1 AND text LIKE 'Thanks, I will park there%'`, [caseId]);
      expect(back).toEqual({ channel: 'email', direction: 'inbound' });
      expect(await widget.send('end', { transcript: true })).toEqual({ ok: true, transcript: true });
      await eventually(() => expect(mail.some((m) => m.includes('transcript of your web chat') && m.includes('Where do I park for the town hall?'))).toBe(true));
      const [kase] = await t.db.query(`SELECT abandoned_at FROM "case" WHERE id = $1`, [caseId]);
      expect(kase.abandoned_at).toBeNull(); // it was answered
    });

    it('marks a chat the resident ended before any answer as abandoned', async () => {
      const { widget } = await visitor();
      await widget.send('message:send', { text: 'Hello?', clientId: 'ab-1' });
      const caseId = (await widget.waitFor('conversation')).caseId;
      expect(await widget.send('end', {})).toEqual({ ok: true, transcript: false });
      const [kase] = await t.db.query(`SELECT abandoned_at FROM "case" WHERE id = $1`, [caseId]);
      expect(kase.abandoned_at).not.toBeNull();
    });
  });

  it('marks a chat abandoned when the resident’s widget is gone for the grace period before any answer', async () => {
    const { widget } = await visitor();
    await widget.send('message:send', { text: 'Is anyone there?', clientId: 'gone-1' });
    const caseId = (await widget.waitFor('conversation')).caseId;
    widget.close();
    await eventually(async () => expect((await t.db.query(`SELECT abandoned_at FROM "case" WHERE id = $1`, [caseId]))[0].abandoned_at).not.toBeNull());
    // Back within the grace period: not abandoned.
    const other = await visitor();
    await other.widget.send('message:send', { text: 'Hello again', clientId: 'gone-2' });
    const otherCase = (await other.widget.waitFor('conversation')).caseId;
    other.widget.close();
    const back = await connectWidget(t.url, other.session.visitorToken);
    widgets.push(back);
    await new Promise((r) => setTimeout(r, 1500));
    expect((await t.db.query(`SELECT abandoned_at FROM "case" WHERE id = $1`, [otherCase]))[0].abandoned_at).toBeNull();
  });

  describe('attachments', () => {
    async function upload(token: string, bytes: Buffer, filename: string, type: string) {
      const form = new FormData();
      form.append('file', new Blob([bytes], { type }), filename);
      const res = await fetch(`${t.url}/webchat/v1/attachments`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: form });
      return { status: res.status, body: (await res.json()) as any };
    }

    it('refuses a file that lies about its type, and stores nothing', async () => {
      const { session } = await visitor();
      const before = await count(`SELECT count(*) AS n FROM attachment`, []);
      const exe = Buffer.concat([Buffer.from('4d5a90000300000004000000ffff0000', 'hex'), randomBytes(256)]);
      const res = await upload(session.visitorToken, exe, 'photo.png', 'image/png');
      expect(res.status).toBe(415);
      expect(res.body.error.message).toMatch(/not allowed|not a recognised type/);
      expect(await count(`SELECT count(*) AS n FROM attachment`, [])).toBe(before);
      expect((await upload('forged', PNG, 'a.png', 'image/png')).status).toBe(401);
    });

    it('answers a bad token at once, before the file is read, not after taking in the whole upload', async () => {
      // Only the first of a declared 9 MB is sent: an answer can only come from a check made before the body is read.
      const boundary = 'hub-test-boundary';
      const status = await new Promise<number>((resolve, reject) => {
        const req = request(`${t.url}/webchat/v1/attachments`, {
          method: 'POST',
          headers: { authorization: 'Bearer forged', 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(9 * 1024 * 1024) },
        });
        req.on('response', (res) => {
          resolve(res.statusCode ?? 0);
          req.destroy(); // the rest of the 9 MB never comes: close, so the app can shut down
        });
        req.on('error', (e) => (req.destroyed ? undefined : reject(e)));
        req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n`);
        req.write(PNG);
        setTimeout(() => reject(new Error('no answer while the upload was still coming')), 5_000).unref();
      });
      expect(status).toBe(401);
    });

    it('sends an upload with a message; only its own visitor can fetch it', async () => {
      const a = await visitor();
      const up = await upload(a.session.visitorToken, PNG, 'pothole.png', 'image/png');
      expect(up).toMatchObject({ status: 201, body: { attachment: { filename: 'pothole.png', contentType: 'image/png', size: PNG.length } } });
      const ack = (await a.widget.send('message:send', { text: '', clientId: 'f-1', attachmentIds: [up.body.attachment.id] })) as any;
      expect(ack.message.attachments).toEqual([expect.objectContaining({ id: up.body.attachment.id, url: `/webchat/v1/attachments/${up.body.attachment.id}` })]);
      const own = await fetch(`${t.url}${ack.message.attachments[0].url}?token=${a.session.visitorToken}`);
      expect(own.status).toBe(200);
      expect(Buffer.from(await own.arrayBuffer()).equals(PNG)).toBe(true);
      const b = await visitor();
      expect((await fetch(`${t.url}${ack.message.attachments[0].url}?token=${b.session.visitorToken}`)).status).toBe(404);
      expect(await b.widget.send('message:send', { text: 'mine now', clientId: 'f-2', attachmentIds: [up.body.attachment.id] })).toMatchObject({ ok: false, error: { code: 'Validation' } });
    });

    it('keeps a non-ASCII name as sent (UTF-8 multipart filename), in the JSON and the download, without invisible controls', async () => {
      const { session } = await visitor();
      for (const [sent, kept] of [['Zoë.png', 'Zoë.png'], ['Llun o’r tŷ ŵyr.png', 'Llun o’r tŷ ŵyr.png'], ['photo\u202Egnp.exe\u0085.png', 'photognp.exe.png']]) {
        const up = await upload(session.visitorToken, PNG, sent, 'image/png');
        expect(up).toMatchObject({ status: 201, body: { attachment: { filename: kept } } });
        const own = await fetch(`${t.url}/webchat/v1/attachments/${up.body.attachment.id}?token=${session.visitorToken}`);
        expect(own.status).toBe(200);
        const header = own.headers.get('content-disposition') ?? '';
        expect(header).toMatch(/;\s*filename="[\x20-\x7E]+"/);
        const ext = /;\s*filename\*=UTF-8''((?:%[0-9A-Fa-f]{2}|[A-Za-z0-9!#$&+.^_`|~-])+)(?:;|$)/.exec(header);
        expect(ext && decodeURIComponent(ext[1])).toBe(kept);
      }
    });
  });

  it('keeps a socket that is refused a command usable (openWidget stays connected)', async () => {
    const { session } = await visitor();
    const w = openWidget(t.url, session.visitorToken);
    widgets.push(w);
    await w.waitFor('hello');
    expect(await w.send('sync', { since: 'garbage' })).toMatchObject({ ok: false, error: { code: 'Validation' } });
    expect(w.socket.connected).toBe(true);
  });

  it('refuses a sync cursor carrying an impossible time as Validation naming since', async () => {
    const { session } = await visitor();
    const w = openWidget(t.url, session.visitorToken);
    widgets.push(w);
    await w.waitFor('hello');
    const since = Buffer.from(JSON.stringify({ at: '2026-99-99T99:99:99.000000Z' }), 'utf8').toString('base64url');
    expect(await w.send('sync', { since })).toMatchObject({ ok: false, error: { code: 'Validation', message: expect.stringMatching(/since/) } });
    expect(w.socket.connected).toBe(true);
  });
});
