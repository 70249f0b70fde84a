import { Logger } from '@nestjs/common';
import { ImapFlow } from 'imapflow';
import { EmailRefused, MailEnvelope } from './email-intake';

/** One mail waiting in a mailbox the hub reads (IMAP today; anything with the same shape tomorrow). */
export interface FetchedMail {
  uid: number;
  raw: Buffer;
  envelope: MailEnvelope;
}

/**
 * A mailbox the hub polls. A mail is marked processed only after the hub is done with it (stored, or refused for
 * good), so a crash between fetch and commit means it is fetched again, and intake's dedupe makes that harmless.
 */
export interface MailSource {
  readonly name: string;
  fetchUnprocessed(limit: number): Promise<FetchedMail[]>;
  markProcessed(uid: number, refused?: string): Promise<void>;
  close(): Promise<void>;
}

/** settings.imap of an email inbox. Microsoft 365 and Gmail need OAuth2 access tokens instead of a password. */
export interface ImapSettings {
  host: string;
  port?: number;
  secure?: boolean;
  user: string;
  pass?: string;
  accessToken?: string;
  mailbox?: string;
  pollMs?: number;
}

/**
 * An IMAP mailbox through imapflow: unseen mail in one folder, marked \Seen once processed (\Flagged as well when
 * refused, for a person to look at). One connection, reopened after an error.
 */
export class ImapMailSource implements MailSource {
  private client?: ImapFlow;

  constructor(
    private readonly settings: ImapSettings,
    readonly name: string,
  ) {}

  async fetchUnprocessed(limit: number): Promise<FetchedMail[]> {
    const client = await this.connected();
    const lock = await client.getMailboxLock(this.settings.mailbox ?? 'INBOX');
    try {
      const uids = ((await client.search({ seen: false }, { uid: true })) || []).slice(0, limit);
      if (!uids.length) return [];
      const mails: FetchedMail[] = [];
      for await (const msg of client.fetch(uids, { uid: true, source: true }, { uid: true })) {
        if (msg.source) mails.push({ uid: msg.uid, raw: msg.source, envelope: { rcptTo: [this.settings.user] } });
      }
      return mails;
    } finally {
      lock.release();
    }
  }

  async markProcessed(uid: number, refused?: string): Promise<void> {
    const client = await this.connected();
    const lock = await client.getMailboxLock(this.settings.mailbox ?? 'INBOX');
    try {
      await client.messageFlagsAdd(String(uid), refused ? ['\\Seen', '\\Flagged'] : ['\\Seen'], { uid: true });
    } finally {
      lock.release();
    }
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    await client?.logout().catch(() => undefined);
  }

  private async connected(): Promise<ImapFlow> {
    if (this.client?.usable) return this.client;
    const s = this.settings;
    const client = new ImapFlow({
      host: s.host,
      port: s.port ?? 993,
      secure: s.secure ?? (s.port ?? 993) === 993,
      auth: s.accessToken ? { user: s.user, accessToken: s.accessToken } : { user: s.user, pass: s.pass ?? '' },
      logger: false,
    });
    client.on('error', () => (this.client = undefined));
    await client.connect();
    this.client = client;
    return client;
  }
}

/** What the poller hands each mail to: EmailReceiver.receive, for one inbox. */
export type MailHandler = (raw: Buffer, envelope: MailEnvelope) => Promise<unknown>;

/**
 * Takes one batch from a mail source: each mail to the handler, then marked processed. A refused mail is marked
 * too (with the reason logged), because trying it again cannot help; any other failure leaves it unprocessed for
 * the next poll.
 */
export async function pollOnce(source: MailSource, handle: MailHandler, logger: Logger, limit = 50): Promise<{ taken: number; refused: number; failed: number }> {
  const counts = { taken: 0, refused: 0, failed: 0 };
  for (const mail of await source.fetchUnprocessed(limit)) {
    try {
      await handle(mail.raw, mail.envelope);
      await source.markProcessed(mail.uid);
      counts.taken++;
    } catch (e) {
      if (e instanceof EmailRefused) {
        logger.warn(`${source.name}: mail uid ${mail.uid} refused: ${e.message}`);
        await source.markProcessed(mail.uid, e.message);
        counts.refused++;
      } else {
        logger.error(`${source.name}: mail uid ${mail.uid} failed, will retry: ${(e as Error).message}`);
        counts.failed++;
      }
    }
  }
  return counts;
}
