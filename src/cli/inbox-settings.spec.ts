import { UsageError } from './cli-args';
import { InboxFlags, providerSettings, stdinSecretFlag } from './inbox-settings';

const AC = `AC${'a1'.repeat(16)}`;
const MG = `MG${'b2'.repeat(16)}`;
const TOKEN = 'c3'.repeat(16);

const refused = (input: InboxFlags) => {
  try {
    providerSettings(input);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error('expected a UsageError');
};

describe('inbox:create provider flags', () => {
  it('builds a Twilio SMS inbox from its flags', () => {
    expect(
      providerSettings({
        channel: 'sms',
        flags: { 'account-sid': AC, 'auth-token': TOKEN, 'from-number': '+447700900123', 'messaging-service-sid': MG, 'status-callback': 'https://hub.example/cb' },
      }),
    ).toEqual({ address: '+447700900123', settings: { accountSid: AC, authToken: TOKEN, messagingServiceSid: MG, statusCallback: 'https://hub.example/cb' } });
  });

  it('prefixes a Twilio WhatsApp number with whatsapp: and records the provider', () => {
    expect(providerSettings({ channel: 'whatsapp', flags: { 'account-sid': AC, 'auth-token': TOKEN, 'from-number': '+447700900123', 'whatsapp-provider': 'twilio' } })).toEqual({
      address: 'whatsapp:+447700900123',
      settings: { accountSid: AC, authToken: TOKEN, provider: 'twilio' },
    });
  });

  it('takes a Messaging Service without a number, and --address as the number', () => {
    expect(providerSettings({ channel: 'sms', flags: { 'account-sid': AC, 'auth-token': TOKEN, 'messaging-service-sid': MG } }).address).toBeUndefined();
    expect(providerSettings({ channel: 'sms', address: '+447700900124', flags: { 'account-sid': AC, 'auth-token': TOKEN } }).address).toBe('+447700900124');
  });

  it('builds a web chat inbox: the council’s name, and the email inbox left for the command to look up', () => {
    expect(providerSettings({ channel: 'webchat', flags: { council: ' Anytown Council ', 'email-inbox': 'Contact@Anytown.gov.uk' } })).toEqual({
      settings: { council: 'Anytown Council' },
      emailInbox: 'contact@anytown.gov.uk',
    });
    expect(providerSettings({ channel: 'webchat', flags: {} })).toEqual({ settings: {} });
    expect(refused({ channel: 'webchat', flags: { council: '<b>Anytown</b>' } })).toMatch(/--council must be the council’s name/);
    expect(refused({ channel: 'webchat', flags: { 'email-inbox': 'contact' } })).toMatch(/--email-inbox must be the id or the address of an email inbox/);
    expect(refused({ channel: 'webchat', address: 'x', flags: {} })).toMatch(/--address does not apply to webchat inboxes/);
    expect(refused({ channel: 'email', flags: { 'email-inbox': 'contact@anytown.gov.uk' } })).toMatch(/--email-inbox does not apply to email inboxes/);
  });

  it('builds WhatsApp Cloud, Messenger, Instagram and Slack inboxes', () => {
    expect(providerSettings({ channel: 'whatsapp', address: '106540352242922', flags: { 'whatsapp-provider': 'meta', 'access-token': 'EAAG'.padEnd(40, 'x') } })).toEqual({
      address: '106540352242922',
      settings: { provider: 'meta', accessToken: 'EAAG'.padEnd(40, 'x') },
    });
    expect(providerSettings({ channel: 'messenger', address: '1234567890', flags: { 'page-access-token': 'EAAP'.padEnd(40, 'y'), 'human-agent-tag': true } })).toEqual({
      address: '1234567890',
      settings: { pageAccessToken: 'EAAP'.padEnd(40, 'y'), humanAgentTag: true },
    });
    expect(providerSettings({ channel: 'instagram', address: '17841400000000', flags: { 'page-access-token': 'EAAP'.padEnd(40, 'y'), 'page-id': '1234567890' } }).settings).toEqual({
      pageAccessToken: 'EAAP'.padEnd(40, 'y'),
      pageId: '1234567890',
    });
    expect(providerSettings({ channel: 'slack', address: 'T0123ABCD', flags: { 'bot-token': 'xoxb-1-2-abc' } })).toEqual({ address: 'T0123ABCD', settings: { botToken: 'xoxb-1-2-abc' } });
  });

  it('leaves the other channels without settings', () => {
    expect(providerSettings({ channel: 'api', flags: {} })).toEqual({ address: undefined, settings: {} });
  });

  it.each<[string, InboxFlags, RegExp]>([
    ['missing account SID', { channel: 'sms', flags: { 'auth-token': TOKEN, 'from-number': '+447700900123' } }, /--account-sid is required for a sms inbox/],
    ['bad account SID', { channel: 'sms', flags: { 'account-sid': 'AC123', 'auth-token': TOKEN, 'from-number': '+447700900123' } }, /--account-sid must be a Twilio account SID/],
    ['bad auth token', { channel: 'sms', flags: { 'account-sid': AC, 'auth-token': 'secret', 'from-number': '+447700900123' } }, /--auth-token must be/],
    ['bad Messaging Service', { channel: 'sms', flags: { 'account-sid': AC, 'auth-token': TOKEN, 'messaging-service-sid': 'MG1' } }, /--messaging-service-sid must be/],
    ['bad number', { channel: 'sms', flags: { 'account-sid': AC, 'auth-token': TOKEN, 'from-number': '07700 900123' } }, /--from-number must be a phone number in E\.164/],
    ['no number and no service', { channel: 'sms', flags: { 'account-sid': AC, 'auth-token': TOKEN } }, /--from-number or --messaging-service-sid is required/],
    ['two numbers', { channel: 'sms', address: '+447700900999', flags: { 'account-sid': AC, 'auth-token': TOKEN, 'from-number': '+447700900123' } }, /--from-number and --address name different numbers/],
    ['bad status callback', { channel: 'sms', flags: { 'account-sid': AC, 'auth-token': TOKEN, 'from-number': '+447700900123', 'status-callback': 'ftp://x' } }, /--status-callback must be an http\(s\) URL/],
    ['unknown provider', { channel: 'whatsapp', flags: { 'whatsapp-provider': 'vonage' } }, /--whatsapp-provider must be twilio or meta/],
    ['provider on sms', { channel: 'sms', flags: { 'whatsapp-provider': 'meta' } }, /--whatsapp-provider applies only to whatsapp inboxes/],
    ['Twilio flag on Meta WhatsApp', { channel: 'whatsapp', address: '1065403522', flags: { 'whatsapp-provider': 'meta', 'access-token': 'x'.repeat(30), 'account-sid': AC } }, /--account-sid does not apply to whatsapp \(meta\) inboxes/],
    ['Meta flag on Twilio', { channel: 'sms', flags: { 'page-access-token': 'x'.repeat(30) } }, /--page-access-token does not apply to sms inboxes/],
    ['Twilio flag on email', { channel: 'email', flags: { 'auth-token': TOKEN } }, /--auth-token does not apply to email inboxes/],
    ['WhatsApp Cloud without phone_number_id', { channel: 'whatsapp', flags: { 'whatsapp-provider': 'meta', 'access-token': 'x'.repeat(30) } }, /--address must be the WhatsApp phone_number_id/],
    ['Messenger without token', { channel: 'messenger', address: '1234567890', flags: {} }, /--page-access-token is required for a messenger inbox/],
    ['Instagram with a name as address', { channel: 'instagram', address: 'council', flags: { 'page-access-token': 'x'.repeat(30) } }, /--address must be the Instagram account id/],
    ['Slack user token', { channel: 'slack', flags: { 'bot-token': 'xoxp-123' } }, /--bot-token must be a bot token/],
    ['Slack address not a team', { channel: 'slack', address: 'council', flags: {} }, /--address must be the Slack workspace’s team id/],
  ])('refuses %s, naming the flag', (_label, input, message) => {
    expect(refused(input)).toMatch(message);
  });

  it('reads at most one secret from standard input', () => {
    expect(stdinSecretFlag({ 'auth-token': '-', 'account-sid': AC })).toBe('auth-token');
    expect(stdinSecretFlag({ 'auth-token': TOKEN })).toBeUndefined();
    expect(() => stdinSecretFlag({ 'auth-token': '-', 'bot-token': '-' })).toThrow(/only one secret can be read from standard input/);
  });
});
