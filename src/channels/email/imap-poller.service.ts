import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { Channel } from '../../common/enum';
import { Env } from '../../config/env';
import { InboxesService } from '../../inboxes/inboxes.service';
import { runsJobWorker } from '../../jobs/jobs.module';
import { EmailReceiver } from './email-receiver.service';
import { ImapMailSource, ImapSettings, MailSource, pollOnce } from './mail-source';

/**
 * Polls the existing council mailboxes of email inboxes that have settings.imap, in worker processes only. One
 * poll at a time per mailbox; a mail is marked seen only after it is committed. Where the source can tell of new mail
 * (IMAP IDLE), that starts a poll at once; settings.imap.pollMs (default 60 s) remains the fallback.
 */
@Injectable()
export class ImapPoller implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(ImapPoller.name);
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly sources: MailSource[] = [];

  constructor(
    private readonly inboxes: InboxesService,
    private readonly receiver: EmailReceiver,
    private readonly env: Env,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!runsJobWorker(this.env)) return;
    for (const inbox of await this.inboxes.list()) {
      const imap = inbox.settings.imap as ImapSettings | undefined;
      if (inbox.channel !== Channel.Email || !imap?.host) continue;
      this.watch(new ImapMailSource(imap, `IMAP ${inbox.name}`), inbox.id, imap.pollMs ?? 60_000);
    }
  }

  /** Polls `source` every `everyMs` for `inboxId`; exposed so a MailSource of any kind can be attached. */
  watch(source: MailSource, inboxId: string, everyMs: number): void {
    this.sources.push(source);
    let running = false;
    let again = false;
    const tick = async () => {
      if (running) {
        again = true; // mail announced during a poll: poll once more right after it
        return;
      }
      running = true;
      try {
        do {
          again = false;
          await pollOnce(source, (raw, envelope) => this.receiver.receive(raw, envelope, inboxId), this.logger);
        } while (again);
      } catch (e) {
        this.logger.warn(`${source.name}: poll failed, next try in ${everyMs} ms: ${(e as Error).message}`);
        await source.close();
      } finally {
        running = false;
      }
    };
    // IDLE: the server's word that mail arrived polls at once; the interval is the fallback.
    source.onNewMail?.(() => void tick());
    this.timers.push(setInterval(() => void tick(), everyMs));
    void tick();
  }

  async onApplicationShutdown(): Promise<void> {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    for (const source of this.sources.splice(0)) await source.close();
  }
}
