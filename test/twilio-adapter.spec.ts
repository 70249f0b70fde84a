import { ChannelAdapter, InboxConfig, OutboundMessage, PermanentDeliveryError, TransientDeliveryError } from '../src/channels/channel-adapter';
import { TwilioWhatsappAdapter } from '../src/channels/twilio/twilio.adapter';
import { toDeliveryError } from '../src/channels/twilio/twilio-client';
import { Channel } from '../src/common/enum';

const msg: OutboundMessage = { messageId: 'm1', caseId: 'c1', caseReference: 'C-2026-000001', to: { address: '+447700900001' }, text: 'Hello', attachments: [], sentAt: new Date() };
const inbox = (settings: Record<string, unknown>): InboxConfig => ({ id: 'i1', channel: Channel.Whatsapp, name: 'WA', address: '123', departmentId: 'd', secret: 's', settings });

describe('Twilio delivery errors', () => {
  it.each([
    [{ status: 400, code: 21610, message: 'unsubscribed' }, PermanentDeliveryError, /opted out/],
    [{ status: 400, code: 21211, message: 'bad' }, PermanentDeliveryError, /not a valid phone number/],
    [{ status: 400, code: 63016, message: 'window' }, PermanentDeliveryError, /24-hour WhatsApp window/],
    [{ status: 401, code: 20003, message: 'auth' }, PermanentDeliveryError, /credentials/],
    [{ status: 400, code: 12345, message: 'Something odd' }, PermanentDeliveryError, /Something odd.*12345/],
    [{ status: 429, code: 20429, message: 'Too many' }, TransientDeliveryError, /rate-limiting/],
    [{ status: 503 }, TransientDeliveryError, /503/],
    [new Error('connect ECONNREFUSED'), TransientDeliveryError, /unreachable.*ECONNREFUSED/],
  ])('%j → %p', (error, kind, reason) => {
    const e = toDeliveryError(error);
    expect(e).toBeInstanceOf(kind);
    expect(e.message).toMatch(reason);
  });
});

describe(TwilioWhatsappAdapter.name, () => {
  it('hands a WhatsApp inbox of another provider (Meta Cloud) to that provider’s adapter', async () => {
    const other = { send: jest.fn(async () => ({ providerMessageId: 'wamid.1' })) } as unknown as ChannelAdapter;
    const sut = new TwilioWhatsappAdapter({
      timeoutMs: 1000,
      recipientState: async () => undefined,
      otherWhatsappProvider: (i) => (i.settings.provider === 'meta' ? other : undefined),
    });
    await expect(sut.send(msg, inbox({ provider: 'meta', accessToken: 'x' }))).resolves.toEqual({ providerMessageId: 'wamid.1' });
    expect(other.send).toHaveBeenCalledWith(msg, expect.objectContaining({ id: 'i1' }));
  });

  it('fails for good, without retries, when the inbox has no Twilio credentials', async () => {
    const sut = new TwilioWhatsappAdapter({ timeoutMs: 1000, recipientState: async () => undefined });
    await expect(sut.send(msg, inbox({}))).rejects.toThrow(PermanentDeliveryError);
  });
});
