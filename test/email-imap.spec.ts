import { Logger } from '@nestjs/common';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EmailReceiver } from '../src/channels/email/email-receiver.service';
import { ImapPoller } from '../src/channels/email/imap-poller.service';
import { FetchedMail, MailSource, pollOnce } from '../src/channels/email/mail-source';
import { InboxConfig } from '../src/channels/channel-adapter';
import { InboxesService } from '../src/inboxes/inboxes.service';
import { startTestApp, TestApp } from './support/app';
import { eventually } from './support/eventually';

/**
 * No IMAP server runs here, so IMAP is tested behind the MailSource interface with an in-memory mailbox: what the
 * poller does with each mail (stored then marked seen; refused then marked seen and flagged; failed then left for
 * the next poll). ImapMailSource itself (imapflow) is not exercised by these tests.
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
});
