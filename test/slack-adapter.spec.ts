import { Channel } from '../src/common/enum';
import { PermanentDeliveryError, RawRequest, TransientDeliveryError } from '../src/channels/channel-adapter';
import { SlackClient } from '../src/channels/slack/slack-client';
import { classifySlackEnvelope } from '../src/channels/slack/slack-events';
import { SlackAdapter } from '../src/channels/slack/slack.adapter';
import { fixture } from './fixtures/meta/fixture';
import { HttpStandIn, startHttpStandIn } from './support/http-stand-in';
import { slackSign } from './fixtures/slack/sign';

const SECRET = 'slack-signing-secret';

function req(body: string, headers: Record<string, string>): RawRequest {
  return { headers, rawBody: Buffer.from(body), body: JSON.parse(body), url: '/channels/slack/events', publicUrl: '' };
}

describe('Slack request signing', () => {
  const adapter = new SlackAdapter({ signingSecret: SECRET, client: new SlackClient({ apiUrl: 'http://127.0.0.1:1/api/', timeoutMs: 100, minIntervalMs: 0 }) });
  const body = fixture('slack', 'dm-message.json');
  const now = () => Math.floor(Date.now() / 1000);

  it('accepts v0:timestamp:body signed with the signing secret', () => {
    const ts = now();
    expect(() => adapter.verify(req(body, { 'x-slack-signature': slackSign(SECRET, ts, body), 'x-slack-request-timestamp': String(ts) }))).not.toThrow();
  });

  it('refuses a wrong secret, a tampered body and missing headers', () => {
    const ts = now();
    expect(() => adapter.verify(req(body, { 'x-slack-signature': slackSign('other', ts, body), 'x-slack-request-timestamp': String(ts) }))).toThrow(/does not match/);
    expect(() => adapter.verify(req(body.replace('damp', 'mould'), { 'x-slack-signature': slackSign(SECRET, ts, body), 'x-slack-request-timestamp': String(ts) }))).toThrow(/does not match/);
    expect(() => adapter.verify(req(body, {}))).toThrow(/required/);
  });

  it('refuses a timestamp more than 5 minutes old or ahead, even when correctly signed', () => {
    for (const ts of [now() - 301, now() + 301]) {
      expect(() => adapter.verify(req(body, { 'x-slack-signature': slackSign(SECRET, ts, body), 'x-slack-request-timestamp': String(ts) }))).toThrow(/5 minutes/);
    }
  });
});

describe(classifySlackEnvelope.name, () => {
  const classify = (name: string) => classifySlackEnvelope(JSON.parse(fixture('slack', name)));

  it('answers url_verification with the challenge', () => {
    expect(classify('url-verification.json')).toEqual({ kind: 'challenge', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' });
  });

  it('reads a DM as an inbound message: channel:ts as its id, files as attachments', () => {
    expect(classify('dm-message.json')).toEqual({
      kind: 'dm',
      eventId: 'Ev0DM0001',
      teamId: 'T0COUNCIL',
      message: {
        channel: Channel.Slack,
        externalMessageId: 'D0PARTNER1:1764230400.000100',
        sender: { address: 'U0PARTNER1' },
        recipient: 'T0COUNCIL',
        text: 'Hello from the housing association: tenant at 4 Elm Court reports damp.',
        attachments: [{ filename: 'damp.jpg', contentType: 'image/jpeg', size: 48213, url: 'https://files.slack.com/files-pri/T0COUNCIL-F0001/damp.jpg' }],
        sentAt: new Date(1764230400000),
      },
    });
  });

  it('ignores bot messages, our own posts and edits (loop guard)', () => {
    for (const name of ['bot-message.json', 'own-post.json', 'message-changed.json']) expect(classify(name)).toMatchObject({ kind: 'ignore' });
  });

  it('reads a person’s thread reply in a channel', () => {
    const body = fixture('slack', 'thread-reply.json').replace('__TS__', '1.2').replace('__THREAD_TS__', '1.1').replace('__EVENT_ID__', 'Ev1');
    expect(classifySlackEnvelope(JSON.parse(body))).toEqual({ kind: 'thread-reply', eventId: 'Ev1', teamId: 'T0COUNCIL', channelId: 'CMIRROR', threadTs: '1.1', ts: '1.2', userId: 'U0AGENT1', text: 'We will send a crew on Tuesday morning.' });
  });

  it('refuses an event_callback without event_id or event as bad input', () => {
    expect(() => classifySlackEnvelope({ type: 'event_callback', event: {} })).toThrow(/event_id is required/);
    expect(() => classifySlackEnvelope({ type: 'event_callback', event_id: 'Ev' })).toThrow(/event: must be an object/);
  });
});

describe('chat.postMessage through a Slack Web API stand-in', () => {
  let api: HttpStandIn;
  let client: SlackClient;
  beforeAll(async () => {
    api = await startHttpStandIn(() => ({ status: 200, body: { ok: true } }));
    client = new SlackClient({ apiUrl: `${api.url}/api/`, timeoutMs: 2000, minIntervalMs: 0 });
  });
  afterAll(() => api.close());
  beforeEach(() => api.requests.splice(0));

  it('posts with the bot token and returns channel:ts as the provider id', async () => {
    api.respond(() => ({ status: 200, body: { ok: true, channel: 'D0DM', ts: '1764230500.000100' } }));
    const adapter = new SlackAdapter({ signingSecret: SECRET, botToken: 'xoxb-test', client });
    const sent = await adapter.send({ messageId: 'm', caseId: 'c', caseReference: 'C-1', to: { address: 'U0PARTNER1' }, text: 'Thanks, logged.', attachments: [], sentAt: new Date() }, {
      id: 'i', channel: Channel.Slack, name: 'Slack', address: 'T0COUNCIL', departmentId: 'd', secret: 's', settings: {},
    });
    expect(sent).toEqual({ providerMessageId: 'D0DM:1764230500.000100' });
    expect(api.requests[0]).toMatchObject({ path: '/api/chat.postMessage', headers: { authorization: 'Bearer xoxb-test' } });
    expect(api.requests[0].json).toMatchObject({ channel: 'U0PARTNER1', text: 'Thanks, logged.' });
  });

  it('ok:false is permanent with a readable reason', async () => {
    api.respond(() => ({ status: 200, body: { ok: false, error: 'not_in_channel' } }));
    const err = await client.postMessage('xoxb-test', { channel: 'C1', text: 'x' }).catch((e) => e);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err.message).toBe('Slack refused the message: the Slack app is not a member of the channel: invite it');
  });

  it('429 with Retry-After is transient, carries the delay, and holds the channel back that long', async () => {
    api.respond((_r, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'ratelimited' } } : { status: 200, body: { ok: true, channel: 'C2', ts: '2.0' } }));
    const err = await client.postMessage('xoxb-test', { channel: 'C2', text: 'x' }).catch((e) => e);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.retryAfterMs).toBe(1000);
    const started = Date.now();
    await expect(client.postMessage('xoxb-test', { channel: 'C2', text: 'y' })).resolves.toEqual({ channel: 'C2', ts: '2.0' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('posts to one channel one after another, spaced apart', async () => {
    const paced = new SlackClient({ apiUrl: `${api.url}/api/`, timeoutMs: 2000, minIntervalMs: 150 });
    api.respond((_r, n) => ({ status: 200, body: { ok: true, channel: 'C3', ts: `3.${n}` } }));
    const started = Date.now();
    const results = await Promise.all([1, 2, 3].map((i) => paced.postMessage('xoxb-test', { channel: 'C3', text: `m${i}` })));
    expect(results.map((r) => r.ts)).toEqual(['3.1', '3.2', '3.3']);
    expect(api.requests.map((r) => r.json.text)).toEqual(['m1', 'm2', 'm3']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
  });

  it('an unreachable Slack is transient', async () => {
    const dead = new SlackClient({ apiUrl: 'http://127.0.0.1:1/api/', timeoutMs: 500, minIntervalMs: 0 });
    await expect(dead.postMessage('xoxb-test', { channel: 'C4', text: 'x' })).rejects.toBeInstanceOf(TransientDeliveryError);
  });
});
