import { Logger } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmailReceiver } from '../src/channels/email/email-receiver.service';
import { ImapPoller } from '../src/channels/email/imap-poller.service';
import { EventEmitter } from 'node:events';
import { FetchedMail, ImapClient, ImapMailSource, MailSource, pollOnce } from '../src/channels/email/mail-source';
import { InboxConfig } from '../src/channels/channel-adapter';
import { InboxesService } from '../src/inboxes/inboxes.service';
import { startTestApp, TestApp } from './support/app';
import { eventually } from './support/eventually';

/**
 * The poller's rules behind the MailSource interface, with an in-memory mailbox: what it does with each mail (stored
 * then marked seen; refused then marked seen and flagged; failed then left for the next poll); and ImapMailSource on a
 * stand-in of imapflow's client (its IDLE `exists` event and the folder's UIDVALIDITY). The same against a real IMAP
 * server (a throwaway Dovecot): test/email-imap-server.e2e.spec.ts.
 */
class FakeMailbox implements MailSource {
  readonly name = 'fake mailbox';
  readonly seen = new Map<number, string | undefined>();
  closed = 0;

  constructor(private readonly mails: FetchedMail[]) {}

  async fetchUnprocessed(limit: number): Promise<FetchedMail[]> {
    return this.mails.filter((m) => !this.seen.has(m.uid)).slice(0, limit);
  }

  async markProcessed(uid: number, refused?: string): Promise<void> {
    this.seen.set(uid, refused);
  }

  async close(): Promise<void> {
    this.closed++;
  }
}

const ADDRESS = 'council-tax@council.test';
let seq = 0;

function mail(uid: number, name: string): FetchedMail & { messageId: string } {
  const messageId = `imap-${Date.now()}-${++seq}@mail.example`;
  const text = readFileSync(join(__dirname, 'fixtures', 'email', name), 'latin1').replace(/\{\{([A-Z_]+)\}\}/g, (_, k: string) => ({ TO: ADDRESS, MSGID: messageId })[k] ?? '');
  return { uid, raw: Buffer.from(text, 'latin1'), envelope: { rcptTo: ['imap-user'] }, messageId };
}

describe('IMAP polling behind the MailSource interface', () => {
  let t: TestApp;
  let inbox: InboxConfig;
  const logger = new Logger('test');

  beforeAll(async () => {
    t = await startTestApp();
    inbox = (await t.get(InboxesService).create({ channel: 'email', name: 'Council tax', department: 'council-tax', address: ADDRESS })).inbox;
  });
  afterAll(() => t?.close());

  const storedCount = async (externalId: string) => (await t.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM message WHERE external_id = $1`, [externalId]))[0].n;

  it('stores each mail before marking it seen, marks a refused one seen and flagged, and leaves a failed one for the next poll', async () => {
    const good = mail(1, 'outlook-reply.eml');
    const refused = mail(2, 'no-from.eml');
    const failing = mail(3, 'latin1.eml');
    const box = new FakeMailbox([good, refused, failing]);
    const receiver = t.get(EmailReceiver);
    let outage = true;
    const handle = async (raw: Buffer, envelope: FetchedMail['envelope']) => {
      if (outage && raw.includes(failing.messageId)) throw new Error('database unavailable');
      return receiver.receive(raw, envelope, inbox.id);
    };

    expect(await pollOnce(box, handle, logger)).toEqual({ taken: 1, refused: 1, failed: 1 });
    expect(await storedCount(good.messageId)).toBe(1);
    expect([...box.seen.entries()]).toEqual([
      [1, undefined],
      [2, expect.stringContaining('no valid From')],
    ]);

    outage = false;
    expect(await pollOnce(box, handle, logger)).toEqual({ taken: 1, refused: 0, failed: 0 });
    expect(await storedCount(failing.messageId)).toBe(1);
    expect(await pollOnce(box, handle, logger)).toEqual({ taken: 0, refused: 0, failed: 0 });
  });

  it('the poller takes mail for its inbox whatever the mailbox user is called', async () => {
    const one = mail(7, 'forwarded.eml');
    const box = new FakeMailbox([one]);
    t.get(ImapPoller).watch(box, inbox.id, 60_000);
    await eventually(async () => expect(box.seen.has(7)).toBe(true));
    const [row] = await t.db.query<{ inbox_id: string }>(`SELECT c.inbox_id FROM message m JOIN "case" c ON c.id = m.case_id WHERE m.external_id = $1`, [one.messageId]);
    expect(row.inbox_id).toBe(inbox.id);
  });

  describe('ImapMailSource on a stand-in of imapflow’s client', () => {
    /** A folder as imapflow shows it: UIDs, \\Seen flags, the folder's UIDVALIDITY, and `exists` when mail arrives (IDLE). */
    class FakeImapClient extends EventEmitter {
      usable = true;
      mailbox: { path: string; uidValidity: bigint } | false = { path: 'INBOX', uidValidity: 7n };
      readonly folder: Array<{ uid: number; source: Buffer; flags: Set<string> }> = [];
      async connect(): Promise<void> {}
      async logout(): Promise<void> {
        this.usable = false;
      }
      async getMailboxLock(path: string) {
        return { path, release: () => undefined };
      }
      async mailboxOpen() {
        return this.mailbox;
      }
      async search(query: { seen?: boolean }) {
        return this.folder.filter((m) => query.seen !== false || !m.flags.has('\\Seen')).map((m) => m.uid);
      }
      async *fetch(uids: number[]) {
        for (const m of this.folder.filter((x) => uids.includes(x.uid))) yield { uid: m.uid, source: m.source };
      }
      async messageFlagsAdd(range: string, flags: string[]) {
        for (const m of this.folder.filter((x) => String(x.uid) === range)) for (const f of flags) m.flags.add(f);
        return true;
      }
      /** New mail: the server's untagged EXISTS, which imapflow emits while it IDLEs. */
      deliver(uid: number, raw: Buffer): void {
        this.folder.push({ uid, source: raw, flags: new Set() });
        this.emit('exists', { path: 'INBOX', count: this.folder.length, prevCount: this.folder.length - 1 });
      }
      /** The folder recreated with another mail first: new UIDs (the old uid 1 is now that other mail), a new UIDVALIDITY. */
      renumber(other: Buffer): void {
        this.mailbox = { path: 'INBOX', uidValidity: 8n };
        for (const m of this.folder) m.uid += 1;
        this.folder.unshift({ uid: 1, source: other, flags: new Set() });
      }
    }

    const source = (client: FakeImapClient) => new ImapMailSource({ host: 'imap.council.test', user: 'council-tax' }, 'IMAP test', () => client as unknown as ImapClient);

    it('leaves a mail unflagged when UIDVALIDITY changed since it was fetched, and takes it once on the next poll', async () => {
      const client = new FakeImapClient();
      const first = mail(1, 'gmail-reply.eml');
      const other = mail(1, 'outlook-reply.eml');
      client.deliver(1, first.raw);
      const imap = source(client);
      const receiver = t.get(EmailReceiver);
      let renumberNow = true;
      const handle = async (raw: Buffer, envelope: FetchedMail['envelope']) => {
        const receipts = await receiver.receive(raw, envelope, inbox.id);
        if (renumberNow) {
          renumberNow = false;
          client.renumber(other.raw); // between the fetch and the flag: uid 1 now names another, unread mail
        }
        return receipts;
      };

      expect(await pollOnce(imap, handle, logger)).toEqual({ taken: 1, refused: 0, failed: 0 });
      expect(client.folder.map((m) => [m.uid, [...m.flags]])).toEqual([
        [1, []], // flagging "uid 1" now would have hidden this mail for good
        [2, []],
      ]);
      expect(await pollOnce(imap, handle, logger)).toEqual({ taken: 2, refused: 0, failed: 0 });
      expect(client.folder.map((m) => [m.uid, [...m.flags]])).toEqual([
        [1, ['\\Seen']],
        [2, ['\\Seen']],
      ]);
      expect(await storedCount(first.messageId)).toBe(1);
      expect(await storedCount(other.messageId)).toBe(1);
      await imap.close();
    });

    it('takes mail the server announces while idling at once, without waiting for the poll interval (an hour here)', async () => {
      const client = new FakeImapClient();
      const imap = source(client);
      t.get(ImapPoller).watch(imap, inbox.id, 60 * 60 * 1000);
      const announced = mail(21, 'apple-mail-reply.eml');
      await eventually(async () => expect(client.listenerCount('exists')).toBeGreaterThan(0)); // connected after the first poll
      client.deliver(21, announced.raw);
      await eventually(async () => expect(await storedCount(announced.messageId)).toBe(1));
      await eventually(async () => expect([...client.folder[0].flags]).toEqual(['\\Seen']));
    });
  });
});
