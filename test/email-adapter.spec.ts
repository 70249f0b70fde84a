import { SMTPServer } from 'smtp-server';
import { Channel } from '../src/common/enum';
import { InboxConfig, OutboundMessage, PermanentDeliveryError, TransientDeliveryError } from '../src/channels/channel-adapter';
import { EmailChannelAdapter, EmailThreadSource } from '../src/channels/email/email.adapter';

/** A relay stand-in that answers RCPT TO with the given code (250 accepts), and keeps what it accepted. */
async function relay(rcptCode: number): Promise<{ url: string; raw: string[]; close(): Promise<void> }> {
  const raw: string[] = [];
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['AUTH', 'STARTTLS'],
    logger: false,
    onRcptTo(_address, _session, callback) {
      if (rcptCode === 250) return callback();
      callback(Object.assign(new Error(rcptCode >= 500 ? 'No such user here' : 'Try again later'), { responseCode: rcptCode }));
    },
    onData(stream, _session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        raw.push(Buffer.concat(chunks).toString());
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return { url: `smtp://127.0.0.1:${port}`, raw, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const inbox: InboxConfig = { id: 'i1', channel: Channel.Email, name: 'Housing Team', address: 'housing@council.test', departmentId: 'd1', secret: 'secret', settings: {} };
const message: OutboundMessage = {
  messageId: '6f1c2d3e-4a5b-4c6d-8e9f-0a1b2c3d4e5f',
  caseId: '0b7e2c3a-1d2f-4e5a-8b9c-0d1e2f3a4b5c',
  caseReference: 'C-2026-000007',
  to: { address: 'jane@mail.example', name: 'Jane' },
  text: 'We will collect it tomorrow.',
  attachments: [],
  sentAt: new Date('2026-11-03T10:00:00Z'),
};
const threads: EmailThreadSource = {
  threadOf: async () => ({ reference: 'C-2026-000007', subject: 'Missed bin', messageIds: ['a@mail.example', 'b@mail.example'], lastInboundMessageId: 'b@mail.example' }),
  isAutomatic: async () => false,
};

describe(EmailChannelAdapter.name, () => {
  const closers: Array<() => Promise<void>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
  });

  async function sutWith(rcptCode: number) {
    const r = await relay(rcptCode);
    closers.push(r.close);
    const sut = new EmailChannelAdapter(threads, { relayUrl: r.url, timeoutMs: 2000 });
    closers.push(async () => sut.onApplicationShutdown());
    return { sut, r };
  }

  it('sends with our Message-ID as the provider id, threading headers and the reference in the subject', async () => {
    const { sut, r } = await sutWith(250);
    expect(await sut.send(message, inbox)).toEqual({ providerMessageId: `hub.${message.messageId}@council.test` });
    const [raw] = r.raw;
    expect(raw).toContain(`Message-ID: <hub.${message.messageId}@council.test>`);
    expect(raw).toContain('In-Reply-To: <b@mail.example>');
    expect(raw).toContain('References: <a@mail.example> <b@mail.example>');
    expect(raw).toContain('Subject: Re: Missed bin [C-2026-000007]');
    expect(raw).toMatch(/Reply-To:\s+reply\+[0-9a-f]{56}@council\.test/);
    expect(raw).not.toContain('Auto-Submitted');
  });

  it('throws a permanent error when the relay refuses the recipient with 550', async () => {
    const { sut } = await sutWith(550);
    await expect(sut.send(message, inbox)).rejects.toBeInstanceOf(PermanentDeliveryError);
  });

  it('throws a transient error on 451 and when the relay cannot be reached', async () => {
    const { sut } = await sutWith(451);
    await expect(sut.send(message, inbox)).rejects.toBeInstanceOf(TransientDeliveryError);
    const unreachable = new EmailChannelAdapter(threads, { relayUrl: 'smtp://127.0.0.1:1', timeoutMs: 1000 });
    await expect(unreachable.send(message, inbox)).rejects.toBeInstanceOf(TransientDeliveryError);
  });

  it('refuses for good when there is no relay configured', async () => {
    const sut = new EmailChannelAdapter(threads, { timeoutMs: 1000 });
    await expect(sut.send(message, inbox)).rejects.toBeInstanceOf(PermanentDeliveryError);
  });
});
