import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ParsedMail, simpleParser } from 'mailparser';
import { createTransport, Transporter } from 'nodemailer';
import { SMTPServer } from 'smtp-server';
import { CasesService } from '../src/cases/cases.service';
import { AgentRole, CaseStatus } from '../src/common/enum';
import { Db } from '../src/database/db';
import { SmtpListener } from '../src/channels/email/smtp-listener.service';
import { InboxConfig } from '../src/channels/channel-adapter';
import { InboxesService } from '../src/inboxes/inboxes.service';
import { startTestApp, TestApp } from './support/app';
import { eventually } from './support/eventually';
import { givenAgent } from './support/given';

const INBOX = 'housing@council.test';
let seq = 0;

/** A fixture with its {{PLACEHOLDERS}} filled in (unnamed ones left empty) and a fresh Message-ID. */
function fixture(name: string, values: Record<string, string> = {}): { raw: Buffer; messageId: string } {
  const messageId = values.MSGID ?? `${name}-${Date.now()}-${++seq}@mail.example`;
  const all: Record<string, string> = { TO: INBOX, REF: '', ...values, MSGID: messageId };
  const text = readFileSync(join(__dirname, 'fixtures', 'email', name)).toString('latin1');
  return { raw: Buffer.from(text.replace(/\{\{([A-Z_]+)\}\}/g, (_, key: string) => all[key] ?? ''), 'latin1'), messageId };
}

function plainMail(from: string, subject: string, body: string): { raw: Buffer; messageId: string } {
  const messageId = `plain-${Date.now()}-${++seq}@mail.example`;
  return { raw: Buffer.from(`From: ${from}\r\nTo: ${INBOX}\r\nSubject: ${subject}\r\nMessage-ID: <${messageId}>\r\nDate: ${new Date().toUTCString()}\r\n\r\n${body}\r\n`), messageId };
}

/** A second local SMTP server standing in for the council's relay: it keeps what the hub sends. */
async function startCapture(): Promise<{ port: number; mails: Array<{ envelope: { from: string; to: string[] }; mail: ParsedMail }>; close(): Promise<void> }> {
  const mails: Array<{ envelope: { from: string; to: string[] }; mail: ParsedMail }> = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onData(stream, session, callback) {
      simpleParser(stream).then(
        (mail) => {
          const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
          mails.push({ envelope: { from, to: session.envelope.rcptTo.map((r) => r.address) }, mail });
          callback();
        },
        (e: Error) => callback(e),
      );
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('Email over SMTP', () => {
  let t: TestApp;
  let capture: Awaited<ReturnType<typeof startCapture>>;
  let client: Transporter;
  let inbox: InboxConfig;
  let staffToken: string;

  beforeAll(async () => {
    capture = await startCapture();
    t = await startTestApp({
      env: { SMTP_PORT: '0', SMTP_HOST: '127.0.0.1', EMAIL_SMTP_URL: `smtp://127.0.0.1:${capture.port}`, EMAIL_MAX_MESSAGE_BYTES: '200000', DELIVERY_BACKOFF_MS: '20' },
    });
    const port = t.get(SmtpListener).port();
    client = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    inbox = (await t.get(InboxesService).create({ channel: 'email', name: 'Housing Team', department: 'customer-services', address: INBOX })).inbox;
    staffToken = (await givenAgent(t, { role: AgentRole.Admin })).token; // triage routes cases to several departments
  });
  afterAll(async () => {
    client?.close();
    await t?.close();
    await capture?.close();
  });

  /** Sends raw RFC 822 bytes through a real SMTP session; answers the server's reply or its refusal. */
  async function send(raw: Buffer, envelope: { from: string; to: string[] } = { from: 'resident@mail.example', to: [INBOX] }) {
    try {
      const info = await client.sendMail({ envelope, raw });
      return { code: 250, response: info.response as string };
    } catch (e) {
      const err = e as { responseCode?: number; response?: string; message: string };
      return { code: err.responseCode ?? 0, response: err.response ?? err.message };
    }
  }

  async function stored(externalId: string) {
    return t.db.query<{ id: string; case_id: string; text: string; text_full: string | null; attachments: unknown[] }>(
      `SELECT id, case_id, text, text_full, attachments FROM message WHERE channel = 'email' AND external_id = $1`,
      [externalId],
    );
  }

  const count = async (sql: string) => (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`))[0].n;

  /** A resident's first mail and the staff reply to it, captured on the relay stand-in. */
  async function givenRepliedCase(from: string) {
    const first = plainMail(from, 'Missed bin collection', 'My bin was not collected on Monday.');
    expect((await send(first.raw)).code).toBe(250);
    const [message] = await stored(first.messageId);
    const before = capture.mails.length;
    const res = await fetch(`${t.url}/api/v1/cases/${message.case_id}/replies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${staffToken}` },
      body: JSON.stringify({ text: 'Dear resident,\n\nWe will collect it tomorrow.' }),
    });
    expect(res.status).toBe(201);
    const reply = (await res.json()) as { id: string };
    const captured = await eventually(() => {
      expect(capture.mails.length).toBe(before + 1);
      return capture.mails[before];
    });
    // The relay has the mail a moment before the delivery job records it sent (with our Message-ID as provider id).
    await eventually(async () => {
      const [row] = await t.db.query<{ delivery_status: string }>(`SELECT delivery_status FROM message WHERE id = $1`, [reply.id]);
      expect(row.delivery_status).toBe('sent');
    });
    const [kase] = await t.db.query<{ reference: string }>(`SELECT reference FROM "case" WHERE id = $1`, [message.case_id]);
    return { caseId: message.case_id, reference: kase.reference, first, replyId: reply.id, captured };
  }

  describe('inbound', () => {
    it('stores a new mail over a real SMTP session and answers 250 naming the case only after it is stored', async () => {
      const mail = fixture('forwarded.eml');
      const answer = await send(mail.raw);
      expect(answer.code).toBe(250);
      const rows = await stored(mail.messageId);
      expect(rows).toHaveLength(1);
      const [kase] = await t.db.query<{ reference: string; subject: string; channel: string }>(`SELECT reference, subject, channel FROM "case" WHERE id = $1`, [rows[0].case_id]);
      expect(answer.response).toContain(kase.reference);
      expect(kase).toMatchObject({ subject: 'Fwd: Parking permit renewal', channel: 'email' });
      expect(rows[0].text).toContain('How do I renew it?');
    });

    it('stores a repeat of the same Message-ID once', async () => {
      const mail = fixture('latin1.eml');
      expect((await send(mail.raw)).code).toBe(250);
      expect((await send(mail.raw)).code).toBe(250);
      const rows = await stored(mail.messageId);
      expect(rows).toHaveLength(1);
      expect(rows[0].text).toContain('£120 for the café licence');
    });

    it('takes a mail with NUL characters in its headers and body (PostgreSQL cannot store them) instead of 451 for ever', async () => {
      const messageId = `nul-${Date.now()}-${++seq}@mail.example`;
      const raw = Buffer.from(
        `From: Ada\u0000 <ada@mail.example>\r\nTo: ${INBOX}\r\nSubject: Bin\u0000s\r\nMessage-ID: <${messageId}>\r\n` +
          `In-Reply-To: <some\u0000thing@mail.example>\r\nDate: ${new Date().toUTCString()}\r\n\r\nThe bin\u0000 is still out\r\n`,
      );
      const answer = await send(raw);
      expect(answer.code).toBe(250);
      const rows = await stored(messageId);
      expect(rows.map((r) => r.text)).toEqual(['The bin is still out']);
      const [kase] = await t.db.query<{ subject: string }>(`SELECT subject FROM "case" WHERE id = $1`, [rows[0].case_id]);
      expect(kase.subject).toBe('Bins');
    });

    it('keeps the full text, the sanitised HTML and the threading headers of a Gmail-style mail', async () => {
      const mail = fixture('gmail-reply.eml', { REFERENCES: '<unknown-1@elsewhere.example>', IN_REPLY_TO: '<unknown-1@elsewhere.example>' });
      expect((await send(mail.raw)).code).toBe(250);
      const [row] = await stored(mail.messageId);
      expect(row.text).toBe('Thanks — the bin is still by the gate at 12 Acacia Avenue.\n\nCould someone come on Thursday?');
      expect(row.text_full).toContain('We have logged your missed collection.');
      const [email] = await t.db.query<{ html: string; in_reply_to: string[]; size_bytes: number }>(`SELECT html, in_reply_to, size_bytes FROM email_message WHERE message_id = $1`, [row.id]);
      expect(email.in_reply_to).toEqual(['unknown-1@elsewhere.example']);
      expect(email.html).toContain('Could someone come on Thursday?');
      expect(email.html).not.toContain('<script');
    });

    it('records attachments, noting why one whose bytes are not what it claims (a “JPEG” of filler) was not stored', async () => {
      const big = await startTestAppWithLimit();
      try {
        const mail = fixture('large-attachment.eml');
        const answer = await sendTo(big.port, mail.raw);
        expect(answer.code).toBe(250);
        const rows = await big.t.db.query<{ attachments: unknown[] }>(`SELECT attachments FROM message WHERE external_id = $1`, [mail.messageId]);
        expect(rows[0].attachments).toEqual([{ filename: 'flytip.jpg', contentType: 'image/jpeg', size: 300_000, error: expect.stringMatching(/not a recognised type/) }]);
        expect((await big.t.db.query(`SELECT id FROM attachment`)).length).toBe(0);
      } finally {
        await big.close();
      }
    });
  });

  describe('refusals', () => {
    it.each([
      ['a mailbox that is not an inbox here', 550, () => send(plainMail('a@mail.example', 'x', 'y').raw, { from: 'a@mail.example', to: ['nobody@council.test'] })],
      ['a forged reply address', 550, () => send(plainMail('a@mail.example', 'x', 'y').raw, { from: 'a@mail.example', to: [`reply+${'0'.repeat(56)}@council.test`] })],
      ['a message without From', 550, () => send(fixture('no-from.eml').raw)],
      ['text that is not a mail', 554, () => send(fixture('malformed-not-mime.eml').raw)],
      ['a multipart without its boundary', 554, () => send(fixture('malformed-no-boundary.eml').raw)],
      ['a message over the size limit', 552, () => send(fixture('large-attachment.eml').raw)],
    ])('refuses %s with %d, stores nothing, and keeps listening', async (_label, code, attempt) => {
      const before = { messages: await count('message'), cases: await count('"case"') };
      const answer = await attempt();
      expect(answer.code).toBe(code);
      expect({ messages: await count('message'), cases: await count('"case"') }).toEqual(before);
      const after = plainMail('still-up@mail.example', 'Still there?', 'Checking the listener is still up.');
      expect((await send(after.raw)).code).toBe(250);
      expect(await stored(after.messageId)).toHaveLength(1);
    });
  });

  describe('replies and threading', () => {
    it('sends a staff reply through the relay with our Message-ID, Reply-To the case address, In-Reply-To and References', async () => {
      const { captured, first, reference, replyId } = await givenRepliedCase('jane.resident@gmail.example');
      const { mail, envelope } = captured;
      expect(envelope).toEqual({ from: INBOX, to: ['jane.resident@gmail.example'] });
      expect(mail.from?.value[0]).toEqual({ address: INBOX, name: 'Housing Team' });
      expect(mail.replyTo?.value[0].address).toMatch(/^reply\+[0-9a-f]{56}@council\.test$/);
      expect(mail.messageId).toBe(`<hub.${replyId}@council.test>`);
      expect(mail.inReplyTo).toBe(`<${first.messageId}>`);
      expect(mail.references).toBe(`<${first.messageId}>`);
      expect(mail.subject).toBe(`Re: Missed bin collection [${reference}]`);
      expect(mail.text?.trim()).toBe('Dear resident,\n\nWe will collect it tomorrow.');
      expect(mail.html).toContain('<p>Dear resident,</p>');
      const [row] = await t.db.query<{ delivery_status: string; provider_message_id: string }>(`SELECT delivery_status, provider_message_id FROM message WHERE id = $1`, [replyId]);
      expect(row).toEqual({ delivery_status: 'sent', provider_message_id: `hub.${replyId}@council.test` });
    });

    it('threads a reply that kept the reply address but lost In-Reply-To (Outlook, from another address)', async () => {
      const { caseId, captured } = await givenRepliedCase(`first-${++seq}@mail.example`);
      const replyTo = captured.mail.replyTo!.value[0].address!;
      const mail = fixture('outlook-reply.eml', { TO: replyTo });
      expect((await send(mail.raw, { from: 'robert.smith@outlook.example', to: [replyTo] })).code).toBe(250);
      const [row] = await stored(mail.messageId);
      expect(row.case_id).toBe(caseId);
      expect(row.text).toMatch(/^Hello,\n\nI have attached the letter now/);
    });

    it('threads a reply sent to the inbox address by its In-Reply-To (Apple Mail dropped the reply address)', async () => {
      const { caseId, captured } = await givenRepliedCase(`second-${++seq}@mail.example`);
      const ours = captured.mail.messageId!;
      const mail = fixture('apple-mail-reply.eml', { IN_REPLY_TO: ours, REFERENCES: ours });
      expect((await send(mail.raw)).code).toBe(250);
      expect((await stored(mail.messageId))[0].case_id).toBe(caseId);
    });

    it('threads by the case reference in the subject only for the resident who wrote on the case', async () => {
      const from = `third-${++seq}@mail.example`;
      const { caseId, reference } = await givenRepliedCase(from);
      const own = plainMail(from, `Re: Missed bin collection [${reference}]`, 'Any news?');
      expect((await send(own.raw)).code).toBe(250);
      expect((await stored(own.messageId))[0].case_id).toBe(caseId);
      const stranger = plainMail(`stranger-${seq}@mail.example`, `Re: Missed bin collection [${reference}]`, 'Let me in');
      expect((await send(stranger.raw)).code).toBe(250);
      expect((await stored(stranger.messageId))[0].case_id).not.toBe(caseId);
    });

    it('reopens a resolved case from its reply address, but opens a new case once it is closed', async () => {
      const { caseId, captured } = await givenRepliedCase(`fifth-${++seq}@mail.example`);
      const replyTo = captured.mail.replyTo!.value[0].address!;
      const setStatus = (status: CaseStatus) => t.get(Db).transaction((tx) => t.get(CasesService).changeStatus(tx, caseId, status));
      await setStatus(CaseStatus.Resolved);
      const again = fixture('outlook-reply.eml', { TO: replyTo });
      expect((await send(again.raw, { from: 'robert.smith@outlook.example', to: [replyTo] })).code).toBe(250);
      expect((await stored(again.messageId))[0].case_id).toBe(caseId);
      const [reopened] = await t.db.query<{ status: string }>(`SELECT status FROM "case" WHERE id = $1`, [caseId]);
      expect(reopened.status).not.toBe('resolved');
      await setStatus(CaseStatus.Closed);
      const late = fixture('outlook-reply.eml', { TO: replyTo });
      expect((await send(late.raw, { from: 'robert.smith@outlook.example', to: [replyTo] })).code).toBe(250);
      expect((await stored(late.messageId))[0].case_id).not.toBe(caseId);
    });

    it('opens a new case for a mail that replies to nothing of ours, even from a resident with an open case', async () => {
      const from = `fourth-${++seq}@mail.example`;
      const { caseId } = await givenRepliedCase(from);
      const fresh = plainMail(from, 'Another matter: noisy neighbours', 'Music every night until 2am.');
      expect((await send(fresh.raw)).code).toBe(250);
      expect((await stored(fresh.messageId))[0].case_id).not.toBe(caseId);
    });
  });

  describe('acknowledgements', () => {
    const WASTE = 'waste@council.test';

    it('acknowledges a new case’s first mail with its reference where the inbox enables it, once per sender, marked Auto-Submitted', async () => {
      await t.get(InboxesService).create({ channel: 'email', name: 'Waste Services', department: 'waste', address: WASTE, settings: { acknowledge: true } });
      const from = `ack-${++seq}@mail.example`;
      const first = plainMail(from, 'Bin not emptied', 'The blue bin was skipped.');
      const before = capture.mails.length;
      expect((await send(first.raw, { from, to: [WASTE] })).code).toBe(250);
      const [row] = await stored(first.messageId);
      const [kase] = await t.db.query<{ reference: string }>(`SELECT reference FROM "case" WHERE id = $1`, [row.case_id]);
      const ack = await eventually(() => {
        expect(capture.mails.length).toBe(before + 1);
        return capture.mails[before].mail;
      });
      expect(ack.to && !Array.isArray(ack.to) ? ack.to.value[0].address : undefined).toBe(from);
      expect(ack.subject).toBe(`Re: Bin not emptied [${kase.reference}]`);
      expect(ack.text).toContain(`our reference is ${kase.reference}`);
      expect(ack.headers.get('auto-submitted')).toBe('auto-replied');
      expect(ack.inReplyTo).toBe(`<${first.messageId}>`);

      const second = plainMail(from, 'Another thing', 'And the green one.');
      expect((await send(second.raw, { from, to: [WASTE] })).code).toBe(250);
      const reply = fixture('out-of-office.eml', { TO: WASTE });
      expect((await send(reply.raw, { from, to: [WASTE] })).code).toBe(250);
      await new Promise((r) => setTimeout(r, 500));
      expect(capture.mails.length).toBe(before + 1);
    });

    it('does not acknowledge on an inbox that has not enabled it', async () => {
      const before = capture.mails.length;
      const mail = plainMail(`noack-${++seq}@mail.example`, 'Question', 'Hello?');
      expect((await send(mail.raw)).code).toBe(250);
      await new Promise((r) => setTimeout(r, 500));
      expect(capture.mails.length).toBe(before);
    });
  });

  describe('auto-replies and bounces', () => {
    it('notes an out-of-office on its case without reopening it, opening a case or answering it', async () => {
      const { caseId, captured } = await givenRepliedCase(`ooo-${++seq}@mail.example`);
      const before = { cases: await count('"case"'), mails: capture.mails.length, outbound: await count(`message WHERE direction = 'outbound'`) };
      const caseState = () => t.db.query(`SELECT status, version, last_inbound_at FROM "case" WHERE id = $1`, [caseId]);
      const stateBefore = await caseState();
      const mail = fixture('out-of-office.eml', { IN_REPLY_TO: captured.mail.messageId! });
      expect((await send(mail.raw)).code).toBe(250);
      expect(await stored(mail.messageId)).toHaveLength(0);
      const notes = await t.db.query<{ text: string }>(`SELECT text FROM message WHERE case_id = $1 AND direction = 'system'`, [caseId]);
      expect(notes.map((n) => n.text)).toEqual([expect.stringContaining('Automatic reply from robert.smith@outlook.example')]);
      expect(await caseState()).toEqual(stateBefore);
      const unmatched = fixture('out-of-office.eml', { IN_REPLY_TO: '<nothing@nowhere.example>' });
      expect((await send(unmatched.raw)).code).toBe(250);
      await new Promise((r) => setTimeout(r, 200));
      expect({ cases: await count('"case"'), mails: capture.mails.length, outbound: await count(`message WHERE direction = 'outbound'`) }).toEqual(before);
    });

    it('drops mail from one of our own inbox addresses, so a forwarding rule cannot loop', async () => {
      const before = { cases: await count('"case"'), messages: await count('message') };
      const looped = plainMail(`Housing Team <${INBOX}>`, 'Re: Missed bin collection', 'Our own reply, forwarded back to us');
      expect((await send(looped.raw)).code).toBe(250);
      expect({ cases: await count('"case"'), messages: await count('message') }).toEqual(before);
    });

    it('marks the outbound message a DSN bounce names as failed, and stores nothing', async () => {
      const { replyId, captured } = await givenRepliedCase(`bounce-${++seq}@mail.example`);
      const before = { cases: await count('"case"'), messages: await count('message') };
      const mail = fixture('dsn-bounce.eml', { BOUNCED_ID: captured.mail.messageId!.replace(/^<|>$/g, '') });
      expect((await send(mail.raw, { from: '', to: [INBOX] })).code).toBe(250);
      const [row] = await t.db.query<{ delivery_status: string; delivery_reason: string }>(`SELECT delivery_status, delivery_reason FROM message WHERE id = $1`, [replyId]);
      expect(row.delivery_status).toBe('failed');
      expect(row.delivery_reason).toContain('550 5.1.1');
      expect({ cases: await count('"case"'), messages: await count('message') }).toEqual(before);
    });
  });

  /** A second hub whose size limit lets the large-attachment fixture through (the main one refuses it). */
  async function startTestAppWithLimit() {
    const big = await startTestApp({ env: { SMTP_PORT: '0', SMTP_HOST: '127.0.0.1', EMAIL_MAX_MESSAGE_BYTES: String(2 * 1024 * 1024) } });
    await big.get(InboxesService).create({ channel: 'email', name: 'Housing Team', department: 'customer-services', address: INBOX });
    return { t: big, port: big.get(SmtpListener).port()!, close: () => big.close() };
  }

  async function sendTo(port: number, raw: Buffer) {
    const other = createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true });
    try {
      const info = await other.sendMail({ envelope: { from: 'resident@mail.example', to: [INBOX] }, raw });
      return { code: 250, response: info.response as string };
    } finally {
      other.close();
    }
  }
});

describe('Email over SMTP on the embedded database (zero-setup mode)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ embedded: true, env: { SMTP_PORT: '0', SMTP_HOST: '127.0.0.1' } });
    await t.get(InboxesService).create({ channel: 'email', name: 'Housing Team', department: 'customer-services', address: INBOX });
  });
  afterAll(() => t?.close());

  it('stores a mail and threads its reply by In-Reply-To', async () => {
    const client = createTransport({ host: '127.0.0.1', port: t.get(SmtpListener).port(), secure: false, ignoreTLS: true });
    try {
      const first = plainMail('ada@mail.example', 'Council tax', 'Which band is 4 Elm Road?');
      await client.sendMail({ envelope: { from: 'ada@mail.example', to: [INBOX] }, raw: first.raw });
      const reply = fixture('apple-mail-reply.eml', { IN_REPLY_TO: `<${first.messageId}>` });
      await client.sendMail({ envelope: { from: 'priya@icloud.example', to: [INBOX] }, raw: reply.raw });
      const rows = await t.db.query<{ external_id: string; case_id: string }>(`SELECT external_id, case_id FROM message WHERE external_id = ANY($1)`, [[first.messageId, reply.messageId]]);
      expect(rows).toHaveLength(2);
      expect(rows[0].case_id).toBe(rows[1].case_id);
    } finally {
      client.close();
    }
  });
});
