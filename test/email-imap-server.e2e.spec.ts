import { Logger } from '@nestjs/common';
import { ImapFlow } from 'imapflow';
import { InboxConfig } from '../src/channels/channel-adapter';
import { EmailReceiver } from '../src/channels/email/email-receiver.service';
import { ImapPoller } from '../src/channels/email/imap-poller.service';
import { FetchedMail, ImapMailSource, ImapSettings, pollOnce } from '../src/channels/email/mail-source';
import { InboxesService } from '../src/inboxes/inboxes.service';
import { startTestApp, TestApp } from './support/app';
import { eventually } from './support/eventually';
import { ImapServer, startImapServer } from './support/imap-server';

/**
 * ImapMailSource and the poller against a real IMAP server: a throwaway Dovecot (Debian's dovecot-imapd, installed
 * by .ci/run) started by test/support/imap-server.ts. Mail is put in with IMAP APPEND and its flags read back by a
 * second client, as a person's mail client would. If Dovecot is missing the suite fails; it never skips.
 */
const ADDRESS = 'council-tax-imap@council.test';
let seq = 0;

interface Mail {
  messageId: string;
  raw: string;
}

/** A resident's plain mail with a Message-ID of its own (the dedupe key), from a sender of its own. */
function mail(subject: string): Mail {
  const n = ++seq;
  const messageId = `imap-server-${process.pid}-${Date.now()}-${n}@resident.example`;
  const raw = [
    `From: Resident ${n} <resident.${n}.${process.pid}@resident.example>`,
    `To: Council Tax <${ADDRESS}>`,
    `Subject: ${subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${messageId}>`,
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    '',
    `${subject} — please call me back about my council tax band.`,
    '',
  ].join('\r\n');
  return { messageId, raw };
}

function messageIdOf(raw: Buffer): string {
  return /^Message-ID: <([^>]+)>/im.exec(raw.toString('utf8'))?.[1] ?? '';
}

describe('IMAP polling against a real IMAP server (a throwaway Dovecot)', () => {
  let server: ImapServer;
  let t: TestApp;
  let inbox: InboxConfig;
  /** A person's mail client on the same mailbox; reconnected when the server dropped it (a folder deleted under it). */
  let observer: ImapFlow;
  const mailClient = async () => (observer.usable ? observer : (observer = await server.client()));
  const logger = new Logger('imap-server-test');
  const sources: ImapMailSource[] = [];

  beforeAll(async () => {
    server = await startImapServer();
    t = await startTestApp();
    inbox = (await t.get(InboxesService).create({ channel: 'email', name: 'Council tax (IMAP)', department: 'council-tax', address: ADDRESS })).inbox;
    observer = await server.client();
  });
  afterAll(async () => {
    for (const source of sources) await source.close();
    await observer?.logout().catch(() => undefined);
    await t?.close();
    await server?.stop();
  });

  const settings = (mailbox: string): ImapSettings => ({
    host: server.host,
    port: server.port,
    secure: false,
    user: server.account.user,
    pass: server.account.pass,
    mailbox,
  });
  const source = (mailbox: string) => {
    const s = new ImapMailSource(settings(mailbox), `IMAP ${mailbox}`);
    sources.push(s);
    return s;
  };
  const receive = (raw: Buffer, envelope: FetchedMail['envelope']) => t.get(EmailReceiver).receive(raw, envelope, inbox.id);

  const caseCount = async () => (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM "case" WHERE inbox_id = $1`, [inbox.id]))[0].n;
  const storedCount = async (messageId: string) => (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM message WHERE external_id = $1`, [messageId]))[0].n;

  /** Each mail of the folder as a mail client sees it: Message-ID → flags (read-only, so looking changes nothing). */
  async function flags(folder: string): Promise<Record<string, string[]>> {
    const client = await mailClient();
    const lock = await client.getMailboxLock(folder, { readOnly: true });
    try {
      const out: Record<string, string[]> = {};
      for await (const m of client.fetch('1:*', { uid: true, envelope: true, flags: true })) {
        if (!m.envelope) continue; // the server's unsolicited news of another session's flag change, not an answer
        // \Recent belongs to the session that first saw the mail, not to the mail
        out[(m.envelope.messageId ?? '').replace(/[<>]/g, '')] = [...(m.flags ?? [])].filter((f) => f !== '\\Recent').sort();
      }
      return out;
    } finally {
      lock.release();
    }
  }

  async function folderWith(folder: string, ...mails: Mail[]): Promise<void> {
    const client = await mailClient();
    if (folder !== 'INBOX' && !(await client.list()).some((f) => f.path === folder)) await client.mailboxCreate(folder);
    for (const m of mails) await client.append(folder, m.raw);
  }

  async function uidValidity(folder: string): Promise<bigint | undefined> {
    const status = await (await mailClient()).status(folder, { uidValidity: true });
    if (!status) throw new Error(`STATUS ${folder} refused`);
    return status.uidValidity;
  }

  it('takes new INBOX mail as a case and flags it \\Seen only after it is committed; a mail whose intake fails stays unseen and is taken once on the next poll', async () => {
    const first = mail('Band review');
    const failing = mail('Direct debit');
    const last = mail('Single person discount');
    await folderWith('INBOX', first, failing, last);
    // The database itself refuses one message, so intake's transaction really rolls back.
    await t.db.query(`CREATE FUNCTION refuse_one_message() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN IF NEW.external_id = '${failing.messageId}' THEN RAISE EXCEPTION 'test: the database refuses this message'; END IF; RETURN NEW; END $$`);
    await t.db.query(`CREATE TRIGGER refuse_one_message BEFORE INSERT ON message FOR EACH ROW EXECUTE FUNCTION refuse_one_message()`);

    // What the server and the database showed before and after each mail was handed to intake.
    const timeline: string[] = [];
    const observed = async (raw: Buffer, envelope: FetchedMail['envelope']) => {
      const id = messageIdOf(raw);
      const state = async () => `seen=${(await flags('INBOX'))[id].includes('\\Seen')} stored=${await storedCount(id)}`;
      timeline.push(`${id} before: ${await state()}`);
      try {
        return await receive(raw, envelope);
      } finally {
        timeline.push(`${id} after: ${await state()}`);
      }
    };
    const inbox1 = source('INBOX');
    const casesBefore = await caseCount();

    expect(await pollOnce(inbox1, observed, logger)).toEqual({ taken: 2, refused: 0, failed: 1 });
    expect(timeline).toEqual([
      `${first.messageId} before: seen=false stored=0`,
      `${first.messageId} after: seen=false stored=1`, // committed, not yet flagged
      `${failing.messageId} before: seen=false stored=0`,
      `${failing.messageId} after: seen=false stored=0`,
      `${last.messageId} before: seen=false stored=0`,
      `${last.messageId} after: seen=false stored=1`,
    ]);
    expect(await flags('INBOX')).toEqual({ [first.messageId]: ['\\Seen'], [failing.messageId]: [], [last.messageId]: ['\\Seen'] });
    const [row] = await t.db.query<{ inbox_id: string; channel: string; reference: string }>(
      `SELECT c.inbox_id, m.channel, c.reference FROM message m JOIN "case" c ON c.id = m.case_id WHERE m.external_id = $1`,
      [first.messageId],
    );
    expect(row).toMatchObject({ inbox_id: inbox.id, channel: 'email', reference: expect.stringMatching(/^C-\d{4}-\d{6}$/) });
    expect(await caseCount()).toBe(casesBefore + 2); // the failed mail's new case rolled back with it

    await t.db.query(`DROP TRIGGER refuse_one_message ON message`);
    expect(await pollOnce(inbox1, receive, logger)).toEqual({ taken: 1, refused: 0, failed: 0 });
    expect(await pollOnce(inbox1, receive, logger)).toEqual({ taken: 0, refused: 0, failed: 0 });
    expect(await flags('INBOX')).toEqual({ [first.messageId]: ['\\Seen'], [failing.messageId]: ['\\Seen'], [last.messageId]: ['\\Seen'] });
    for (const m of [first, failing, last]) expect(await storedCount(m.messageId)).toBe(1);
    expect(await caseCount()).toBe(casesBefore + 3);
  });

  it('marks a mail intake refuses \\Seen and \\Flagged, for a person to look at, and stores nothing of it', async () => {
    const refused: Mail = { messageId: `no-from-${process.pid}@resident.example`, raw: `To: ${ADDRESS}\r\nSubject: who am I\r\nMessage-ID: <no-from-${process.pid}@resident.example>\r\n\r\nno sender\r\n` };
    await folderWith('Refused', refused);
    expect(await pollOnce(source('Refused'), receive, logger)).toEqual({ taken: 0, refused: 1, failed: 0 });
    expect(await flags('Refused')).toEqual({ [refused.messageId]: ['\\Flagged', '\\Seen'] });
    expect(await storedCount(refused.messageId)).toBe(0);
  });

  it('takes a mail appended while the poller idles on the folder without waiting for the poll interval (ten minutes here)', async () => {
    const early = mail('Before the poller started');
    const announced = mail('While the poller idles');
    await folderWith('Idle', early);
    t.get(ImapPoller).watch(source('Idle'), inbox.id, 10 * 60 * 1000);
    // The first poll (at once) took the early mail; after it the connection stays on the folder and IDLEs.
    await eventually(async () => expect(await flags('Idle')).toEqual({ [early.messageId]: ['\\Seen'] }));

    await folderWith('Idle', announced);
    // Only the server's announcement can bring it before the next poll, ten minutes away.
    await eventually(async () => expect(await flags('Idle')).toEqual({ [early.messageId]: ['\\Seen'], [announced.messageId]: ['\\Seen'] }));
    expect(await storedCount(announced.messageId)).toBe(1);
  });

  it('takes nothing twice and loses nothing when the folder is recreated between polls (a new UIDVALIDITY)', async () => {
    const kept = mail('Taken before the folder was recreated');
    const arrived = mail('Arrived in the recreated folder');
    await folderWith('Recreated', kept);
    const recreated = source('Recreated');
    expect(await pollOnce(recreated, receive, logger)).toEqual({ taken: 1, refused: 0, failed: 0 });
    const before = await uidValidity('Recreated');
    expect(before).toBeDefined();

    // The mailbox is deleted and restored from a copy that lost its flags, then new mail comes in.
    await (await mailClient()).mailboxDelete('Recreated');
    await folderWith('Recreated', kept, arrived);
    expect(await uidValidity('Recreated')).not.toEqual(before);

    // The hub's connection stayed open on the old folder; the next poll selects it again and sees the new one.
    expect(await pollOnce(recreated, receive, logger)).toEqual({ taken: 2, refused: 0, failed: 0 }); // the kept one as a duplicate
    expect(await flags('Recreated')).toEqual({ [kept.messageId]: ['\\Seen'], [arrived.messageId]: ['\\Seen'] });
    expect(await storedCount(kept.messageId)).toBe(1);
    expect(await storedCount(arrived.messageId)).toBe(1);
  });

  it('flags nothing when the folder is recreated between the fetch and the flag, and takes each mail once on the next poll', async () => {
    const first = mail('Fetched before the folder was recreated');
    const other = mail('Now first in the recreated folder');
    await folderWith('Renumbered', first);
    // Built as ImapMailSource builds it, but kept, so the test can wait until the client saw its connection drop.
    const clients: ImapFlow[] = [];
    const renumbered = new ImapMailSource(settings('Renumbered'), 'IMAP Renumbered', (s) => {
      clients.push(new ImapFlow({ host: s.host, port: s.port, secure: false, auth: { user: s.user, pass: s.pass ?? '' }, logger: false }));
      return clients[clients.length - 1];
    });
    sources.push(renumbered);
    let recreateNow = true;
    const recreating = async (raw: Buffer, envelope: FetchedMail['envelope']) => {
      const receipts = await receive(raw, envelope);
      if (recreateNow) {
        recreateNow = false;
        // Between the fetch and the flag: uid 1 of the new folder is another, unread mail, and the hub's connection
        // drops, so flagging reconnects onto the new folder. (A session that stayed on the deleted folder cannot
        // touch the new one: Dovecot keeps showing it the old folder until it selects again.)
        await (await mailClient()).mailboxDelete('Renumbered');
        await folderWith('Renumbered', other, first);
        server.kick();
        await eventually(() => expect([observer.usable, ...clients.map((c) => c.usable)]).not.toContain(true));
      }
      return receipts;
    };

    expect(await pollOnce(renumbered, recreating, logger)).toEqual({ taken: 1, refused: 0, failed: 0 });
    expect(await flags('Renumbered')).toEqual({ [other.messageId]: [], [first.messageId]: [] }); // flagging "uid 1" would have hidden `other`
    expect(await pollOnce(renumbered, receive, logger)).toEqual({ taken: 2, refused: 0, failed: 0 });
    expect(await flags('Renumbered')).toEqual({ [other.messageId]: ['\\Seen'], [first.messageId]: ['\\Seen'] });
    expect(await storedCount(first.messageId)).toBe(1);
    expect(await storedCount(other.messageId)).toBe(1);
  });

  describe('a wrong password', () => {
    /** Another Dovecot for the refused logins: Dovecot slows every login from an address after a failed one. */
    let wrongServer: ImapServer;
    let second: TestApp | undefined;
    let warn: jest.SpyInstance;

    beforeAll(async () => {
      wrongServer = await startImapServer();
      warn = jest.spyOn(Logger.prototype, 'warn');
    });
    afterAll(async () => {
      warn?.mockRestore();
      await second?.close();
      await wrongServer?.stop();
    });

    it('is logged as a refused login naming the mailbox, and the hub keeps serving and polling its other inboxes', async () => {
      const waiting = mail('Polled beside a broken inbox');
      await folderWith('Boot', waiting);
      const inboxes = t.get(InboxesService);
      await inboxes.create({
        channel: 'email',
        name: 'Wrong password',
        department: 'council-tax',
        address: 'wrong-password@council.test',
        settings: { imap: { host: wrongServer.host, port: wrongServer.port, secure: false, user: wrongServer.account.user, pass: 'not-the-password', pollMs: 600_000 } },
      });
      const working = (
        await inboxes.create({ channel: 'email', name: 'Boot poll', department: 'council-tax', address: 'boot-poll@council.test', settings: { imap: { ...settings('Boot'), pollMs: 600_000 } } })
      ).inbox;

      // A second hub process on the same database: its worker starts a poller for every inbox with settings.imap.
      second = await startTestApp({ database: t.db });

      await eventually(() =>
        expect(warn.mock.calls.map((c) => String(c[0]))).toContainEqual(
          expect.stringMatching(
            new RegExp(`^IMAP Wrong password: poll failed, .*IMAP login refused for ${wrongServer.account.user}@127\\.0\\.0\\.1:${wrongServer.port}: \\[AUTHENTICATIONFAILED\\] Authentication failed\\.`),
          ),
        ),
      );
      expect(wrongServer.log()).toMatch(/auth failed|Authentication failed|password mismatch/i);

      const health = await fetch(`${second.url}/health`);
      expect(health.status).toBe(200);
      await eventually(async () => expect(await flags('Boot')).toEqual({ [waiting.messageId]: ['\\Seen'] }));
      const [row] = await t.db.query<{ inbox_id: string }>(`SELECT c.inbox_id FROM message m JOIN "case" c ON c.id = m.case_id WHERE m.external_id = $1`, [waiting.messageId]);
      expect(row.inbox_id).toBe(working.id);
    });
  });
});
