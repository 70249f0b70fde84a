import twilio from 'twilio';
import { Channel } from '../src/common/enum';
import { InboxConfig, RawRequest } from '../src/channels/channel-adapter';
import { TwilioSmsAdapter } from '../src/channels/twilio/twilio.adapter';
import { optKeyword, toInboundMessage, toStatusUpdates } from '../src/channels/twilio/twilio-params';

/** The known vector of Twilio's docs (channels.md §1). */
const VECTOR = {
  token: '12345',
  url: 'https://mycompany.com/myapp.php?foo=1&bar=2',
  params: { CallSid: 'CA1234567890ABCDE', Caller: '+12349013030', Digits: '1234', From: '+12349013030', To: '+18005551212' },
  signature: '0/KCTR6DLpKmkAf8muzZqo1nDgQ=',
};

const inbox: InboxConfig = { id: 'inbox-1', channel: Channel.Sms, name: 'Test', address: '+18005551212', departmentId: 'd', secret: 's', settings: { accountSid: 'AC1', authToken: VECTOR.token } };

function request(signature: string | undefined, url = VECTOR.url, params: Record<string, string> = VECTOR.params): RawRequest {
  const body = new URLSearchParams(params).toString();
  return { headers: signature === undefined ? {} : { 'x-twilio-signature': signature }, rawBody: Buffer.from(body), body: params, url: '/myapp.php?foo=1&bar=2', publicUrl: url };
}

describe('Twilio request signatures', () => {
  const sut = new TwilioSmsAdapter({ timeoutMs: 1000, recipientState: async () => undefined });

  it('the SDK reproduces the known vector', () => {
    expect(twilio.getExpectedTwilioSignature(VECTOR.token, VECTOR.url, VECTOR.params)).toBe(VECTOR.signature);
    expect(twilio.validateRequest(VECTOR.token, VECTOR.signature, VECTOR.url, VECTOR.params)).toBe(true);
  });

  it('the adapter accepts the known vector from the raw form body', () => {
    expect(() => sut.verify(request(VECTOR.signature), inbox)).not.toThrow();
  });

  it('the adapter accepts the URL with the default port added', () => {
    expect(() => sut.verify(request(VECTOR.signature, 'https://mycompany.com:443/myapp.php?foo=1&bar=2'), inbox)).not.toThrow();
  });

  it.each([
    ['missing', undefined, VECTOR.params],
    ['forged', '1/KCTR6DLpKmkAf8muzZqo1nDgQ=', VECTOR.params],
    ['tampered', VECTOR.signature, { ...VECTOR.params, Digits: '9999' }],
  ])('the adapter refuses a %s signature', (_label, signature, params) => {
    expect(() => sut.verify(request(signature, VECTOR.url, params), inbox)).toThrow(expect.objectContaining({ code: 'SignatureInvalid' }));
  });
});

describe('Twilio payload parsing', () => {
  it('recognises single-word opt-out keywords only', () => {
    expect(optKeyword({ Body: 'stop' })).toBe('stop');
    expect(optKeyword({ Body: ' Unsubscribe. ' })).toBe('stop');
    expect(optKeyword({ Body: 'STOP PLEASE' })).toBeUndefined();
    expect(optKeyword({ Body: 'unstop' })).toBe('start');
    expect(optKeyword({ Body: 'info' })).toBe('help');
    expect(optKeyword({ Body: 'hello', OptOutType: 'STOP' })).toBe('stop');
  });

  it('maps a WhatsApp message to the whatsapp channel with the bare number and profile name', () => {
    const msg = toInboundMessage({ MessageSid: 'SM1', From: 'whatsapp:+447700900001', To: 'whatsapp:+447700900002', Body: ' Hi ', NumMedia: '0', ProfileName: 'Ada' }, 'i');
    expect(msg).toMatchObject({ channel: 'whatsapp', externalMessageId: 'SM1', sender: { address: '+447700900001', name: 'Ada' }, text: 'Hi', textFull: ' Hi ' });
  });

  it('maps statuses: queued and sending change nothing, undelivered carries a reason', () => {
    expect(toStatusUpdates({ MessageSid: 'SM1', MessageStatus: 'sending' })).toEqual([]);
    expect(toStatusUpdates({ MessageSid: 'SM1', MessageStatus: 'read' })).toEqual([{ providerMessageId: 'SM1', status: 'read' }]);
    expect(toStatusUpdates({ MessageSid: 'SM1', MessageStatus: 'undelivered', ErrorCode: '30003' })[0]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/unreachable/) });
  });
});
