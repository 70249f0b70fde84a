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
  /** Calls `listener` when the server announces new mail (IMAP IDLE), so the poller need not wait for its next tick. */
  onNewMail?(listener: () => void): void;
}

/** What ImapMailSource uses of imapflow's client (a stand-in replaces it in tests). */
export type ImapClient = Pick<ImapFlow, 'usable' | 'mailbox' | 'connect' | 'getMailboxLock' | 'mailboxOpen' | 'search' | 'fetch' | 'messageFlagsAdd' | 'logout' | 'on'>;

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
 *
 * IDLE: between polls the connection stays open on the folder and imapflow IDLEs on it; when the server announces
 * more messages (`exists`), onNewMail's listener runs, so new mail is taken at once. The poll interval stays as the
 * fallback (servers without IDLE, a dropped connection).
 *
 * UIDVALIDITY: UIDs mean something only with the folder's UIDVALIDITY. It is read at every fetch and checked again
 * before flagging: if it changed (the folder was recreated or renumbered), nothing is flagged, since that UID may
 * now be another mail; the mails stay unseen and the next poll takes them again (intake dedupes by Message-ID).
 */
export class ImapMailSource implements MailSource {
  private readonly logger = new Logger(ImapMailSource.name);
  private client?: ImapClient;
  private validity?: bigint;
  private readonly listeners: Array<() => void> = [];

  constructor(
    private readonly settings: ImapSettings,
    readonly name: string,
    private readonly connect: (settings: ImapSettings) => ImapClient = imapFlowClient,
  ) {}

  onNewMail(listener: () => void): void {
    this.listeners.push(listener);
  }

  async fetchUnprocessed(limit: number): Promise<FetchedMail[]> {
    const client = await this.connected();
    const lock = await client.getMailboxLock(this.settings.mailbox ?? 'INBOX');
    try {
      // SELECT again: a connection that stayed on the folder (IDLE) still shows the folder it first opened, so a
      // folder recreated since would look empty, and its mail would wait for the next reconnect.
      await client.mailboxOpen(this.settings.mailbox ?? 'INBOX');
      this.validity = uidValidityOf(client);
      const found = await client.search({ seen: false }, { uid: true });
      // false or nothing is not "no mail": the server refused the search (a folder deleted under the session, say)
      if (!Array.isArray(found)) throw new Error(`the server refused to search ${this.settings.mailbox ?? 'INBOX'}`);
      const uids = found.slice(0, limit);
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
      const now = uidValidityOf(client);
      if (this.validity !== undefined && now !== this.validity) {
        this.logger.warn(`${this.name}: UIDVALIDITY changed from ${this.validity} to ${now}: uid ${uid} left unflagged, the next poll takes the folder again`);
        return;
      }
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

  private async connected(): Promise<ImapClient> {
    if (this.client?.usable) return this.client;
    const client = this.connect(this.settings);
    client.on('error', () => (this.client = undefined));
    client.on('close', () => (this.client = undefined));
    client.on('exists', (data: { count: number; prevCount: number }) => {
      if (data.count > data.prevCount) for (const listener of this.listeners) listener();
    });
    await client.connect().catch((e: unknown) => {
      throw connectionError(this.settings, e);
    });
    this.client = client;
    return client;
  }
}

/**
 * imapflow rejects a refused login with "Command failed"; this names the mailbox, the server and the server's own
 * words, so the log says what to fix (settings.imap user and pass or accessToken).
 */
function connectionError(s: ImapSettings, e: unknown): Error {
  const err = e as Error & { authenticationFailed?: boolean; response?: string; code?: string };
  const at = `${s.user}@${s.host}:${s.port ?? 993}`;
  if (err.authenticationFailed) {
    const said = String(err.response ?? err.message).replace(/^\S+ NO /, ''); // the command tag is noise
    return new Error(`IMAP login refused for ${at}: ${said} (check settings.imap user and pass or accessToken)`);
  }
  return new Error(`IMAP connection to ${at} failed: ${err.message}${err.code ? ` (${err.code})` : ''}`);
}

function imapFlowClient(s: ImapSettings): ImapClient {
  return new ImapFlow({
    host: s.host,
    port: s.port ?? 993,
    secure: s.secure ?? (s.port ?? 993) === 993,
    auth: s.accessToken ? { user: s.user, accessToken: s.accessToken } : { user: s.user, pass: s.pass ?? '' },
    logger: false,
    // IDLE one second after the last command rather than imapflow's 15: mail arriving just after a poll is announced at once.
    autoIdleDelay: 1000,
  });
}

function uidValidityOf(client: ImapClient): bigint | undefined {
  return client.mailbox ? BigInt(client.mailbox.uidValidity) : undefined;
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
