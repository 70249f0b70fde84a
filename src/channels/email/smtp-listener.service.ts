import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { SMTPServer, SMTPServerDataStream, SMTPServerSession } from 'smtp-server';
import { Env } from '../../config/env';
import { EmailRefused } from './email-intake';
import { EmailReceiver } from './email-receiver.service';

type SmtpError = Error & { responseCode: number };

/**
 * The built-in SMTP listener for direct delivery (an MX, or behind Postfix). Recipients are checked at RCPT TO
 * (unknown mailbox → 550), the size at the end of DATA (552), and 250 is answered only after intake committed;
 * a refused message is never stored and the listener carries on. No AUTH: it takes mail only for our own inboxes.
 */
@Injectable()
export class SmtpListener implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(SmtpListener.name);
  private server?: SMTPServer;

  constructor(
    private readonly receiver: EmailReceiver,
    private readonly env: Env,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (this.env.SMTP_PORT === undefined) return;
    await this.start(this.env.SMTP_PORT, this.env.SMTP_HOST);
  }

  async onApplicationShutdown(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The port it listens on (the chosen one when configured as 0), or undefined when off. */
  port(): number | undefined {
    const address = this.server?.server.address() as AddressInfo | null | undefined;
    return address?.port;
  }

  private async start(port: number, host: string): Promise<void> {
    const server = new SMTPServer({
      banner: 'Contact Hub',
      size: this.env.EMAIL_MAX_MESSAGE_BYTES,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'], // TLS is the relay's job in front of us (docs/channels/email.md)
      logger: false,
      onRcptTo: (address, _session, callback) => {
        this.receiver.accept(address.address).then(
          () => callback(),
          (e: unknown) => callback(this.toSmtpError(e)),
        );
      },
      onData: (stream, session, callback) => {
        this.onData(stream, session).then(
          (reply) => callback(null, reply),
          (e: unknown) => callback(this.toSmtpError(e)),
        );
      },
    });
    server.on('error', (e) => this.logger.error(`SMTP listener: ${e.message}`));
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(port, host, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.logger.log(`SMTP listener on ${host}:${this.port()}`);
  }

  private async onData(stream: SMTPServerDataStream, session: SMTPServerSession): Promise<string> {
    const raw = await readAll(stream, this.env.EMAIL_MAX_MESSAGE_BYTES);
    if (stream.sizeExceeded || raw === undefined) throw new EmailRefused(552, '5.3.4', `Message too big: the limit is ${this.env.EMAIL_MAX_MESSAGE_BYTES} bytes`);
    const mailFrom = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
    const receipts = await this.receiver.receive(raw, { mailFrom, rcptTo: session.envelope.rcptTo.map((r) => r.address) });
    const stored = receipts.flatMap((r) => (r.outcome === 'stored' ? [r.reference] : []));
    return stored.length ? `2.0.0 Accepted for case ${stored.join(', ')}` : '2.0.0 Accepted';
  }

  private toSmtpError(e: unknown): SmtpError {
    if (e instanceof EmailRefused) return Object.assign(new Error(`${e.enhancedCode} ${e.message}`), { responseCode: e.smtpCode });
    this.logger.error(`SMTP intake failed, the sender will retry: ${(e as Error)?.stack ?? String(e)}`);
    return Object.assign(new Error('4.3.0 Temporary failure, please try again later'), { responseCode: 451 });
  }
}

/** The whole message, or undefined once it passed the limit (the rest is read and dropped, not kept in memory). */
function readAll(stream: Readable, limit: number): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    stream.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
    });
    stream.on('end', () => resolve(size <= limit ? Buffer.concat(chunks) : undefined));
    stream.on('error', reject);
  });
}
