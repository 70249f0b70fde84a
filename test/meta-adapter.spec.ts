import { Channel, DeliveryStatus } from '../src/common/enum';
import { InboxConfig, OutboundMessage, PermanentDeliveryError, RawRequest, TransientDeliveryError } from '../src/channels/channel-adapter';
import { GraphClient } from '../src/channels/meta/graph-client';
import { InstagramAdapter, MessengerAdapter, splitText } from '../src/channels/meta/meta-page.adapter';
import { isValidMetaSignature, metaSignature } from '../src/channels/meta/meta-signature';
import { MetaItem, parseMetaWebhook } from '../src/channels/meta/meta-webhook';
import { WhatsappCloudAdapter } from '../src/channels/meta/whatsapp-cloud.adapter';
import { fixture } from './fixtures/meta/fixture';
import { HttpStandIn, startHttpStandIn } from './support/http-stand-in';

const SECRET = 'meta-app-secret';
const parse = (name: string): MetaItem[] => parseMetaWebhook(JSON.parse(fixture('meta', name)), { mediaUrl: (id) => `https://graph.test/v21.0/${id}` });

function raw(body: string, signature?: string): RawRequest {
  return { headers: signature ? { 'x-hub-signature-256': signature } : {}, rawBody: Buffer.from(body), body: JSON.parse(body), url: '/channels/meta', publicUrl: '' };
}

function inbox(channel: Channel, address: string, settings: Record<string, unknown>): InboxConfig {
  return { id: 'inbox-1', channel, name: `${channel} inbox`, address, departmentId: 'dep', secret: 's', settings };
}

function outbound(to: string, text = 'We have booked a collection for Tuesday.'): OutboundMessage {
  return { messageId: 'msg-1', caseId: 'case-1', caseReference: 'C-2026-000001', to: { address: to }, text, attachments: [], sentAt: new Date() };
}

describe('X-Hub-Signature-256', () => {
  it('matches the known vector: key "secret", body "test"', () => {
    expect(metaSignature('secret', 'test')).toBe('sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914');
    expect(isValidMetaSignature('secret', Buffer.from('test'), 'sha256=0329a06b62cd16b33eb6792be8c60b158d89a2ee3a876fce9a881ebb488c0914')).toBe(true);
  });

  it('refuses a tampered body, a wrong secret, a missing or malformed header', () => {
    const sig = metaSignature(SECRET, 'body');
    expect(isValidMetaSignature(SECRET, Buffer.from('body!'), sig)).toBe(false);
    expect(isValidMetaSignature('other', Buffer.from('body'), sig)).toBe(false);
    expect(isValidMetaSignature(SECRET, Buffer.from('body'), undefined)).toBe(false);
    expect(isValidMetaSignature(SECRET, Buffer.from('body'), 'sha1=abc')).toBe(false);
  });

  it('is checked over the escaped bytes Meta sent, not over re-serialised JSON', () => {
    const body = fixture('meta', 'messenger-text.json');
    const adapter = new MessengerAdapter({ appSecret: SECRET, graph: new GraphClient({ baseUrl: 'http://x', version: 'v21.0', timeoutMs: 100 }) });
    expect(() => adapter.verify(raw(body, metaSignature(SECRET, body)))).not.toThrow();
    expect(() => adapter.verify(raw(body, metaSignature(SECRET, JSON.stringify(JSON.parse(body)))))).toThrow(/does not match/);
  });
});

describe(parseMetaWebhook.name, () => {
  it('reads a Messenger text message', () => {
    expect(parse('messenger-text.json')).toEqual([
      {
        kind: 'message',
        channel: Channel.Messenger,
        address: '100200300',
        message: expect.objectContaining({
          channel: Channel.Messenger,
          externalMessageId: 'm_text_1',
          sender: { address: 'PSID-7001' },
          text: 'The bin on Café Street wasn’t collected — £ charge?',
          attachments: [],
          sentAt: new Date(1764230000123),
        }),
      },
    ]);
  });

  it('reads Messenger attachments as metadata with their URLs', () => {
    const [item] = parse('messenger-attachment.json');
    expect(item.kind === 'message' && item.message.attachments).toEqual([
      { filename: 'fly-tipping.jpg', contentType: 'image/*', size: 0, url: 'https://scontent.example.net/v/t1/fly-tipping.jpg?oh=abc' },
      { filename: 'letter.pdf', contentType: 'application/octet-stream', size: 0, url: 'https://cdn.example.net/docs/letter.pdf' },
    ]);
  });

  it('reads an echo of a page message with the resident as recipient, its app id and metadata', () => {
    expect(parse('messenger-echo.json')).toEqual([
      {
        kind: 'echo',
        channel: Channel.Messenger,
        address: '100200300',
        recipient: 'PSID-7001',
        echo: { mid: 'm_echo_1', text: 'Thanks, we have logged it.', attachments: [], appId: '1234567890', metadata: undefined, sentAt: new Date(1764230002000) },
      },
    ]);
    const [ours] = parse('messenger-echo-ours.json');
    expect(ours.kind === 'echo' && ours.echo.metadata).toBe('contact-hub:3f0c5a9e-1d2b-4c3d-8e4f-5a6b7c8d9e0f');
  });

  it('reads a postback (a button tap) as the resident’s text: the title, else the payload', () => {
    const items = parse('messenger-postback.json');
    expect(items.map((i) => i.kind === 'message' && [i.message.externalMessageId, i.message.text, i.message.sender.address])).toEqual([
      ['m_postback_1', 'Report a missed bin', 'PSID-7001'],
      ['postback:PSID-7001:1764230022500', 'TALK_TO_SOMEONE', 'PSID-7001'],
    ]);
  });

  it('reads Messenger and WhatsApp reactions, and taking one back', () => {
    expect(parse('messenger-reaction.json')).toEqual([
      { kind: 'reaction', channel: Channel.Messenger, address: '100200300', sender: 'PSID-7001', reaction: { mid: 'm_text_1', emoji: '❤️', action: 'react', at: new Date(1764230023000) } },
      { kind: 'reaction', channel: Channel.Messenger, address: '100200300', sender: 'PSID-7001', reaction: { mid: 'm_text_1', emoji: 'love', action: 'unreact', at: new Date(1764230023500) } },
    ]);
    expect(parse('whatsapp-reaction.json')).toEqual([
      {
        kind: 'reaction',
        channel: Channel.Whatsapp,
        address: 'PNID-3001',
        sender: 'whatsapp:+447700900123',
        reaction: { mid: 'wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggText1', emoji: '👍', action: 'react', at: new Date(1764230024000) },
      },
    ]);
  });

  it('reads an Instagram message, routed by the IG account id', () => {
    const [item] = parse('instagram-text.json');
    expect(item).toMatchObject({ kind: 'message', channel: Channel.Instagram, address: '17841400000000001', message: { sender: { address: 'IGSID-5001' } } });
  });

  it('reads WhatsApp text with the profile name, routed by phone_number_id', () => {
    const [item] = parse('whatsapp-text.json');
    expect(item).toMatchObject({
      kind: 'message',
      channel: Channel.Whatsapp,
      address: 'PNID-3001',
      message: { externalMessageId: 'wamid.HBgMNDQ3NzAwOTAwMTIzFQIAEhggText1', sender: { address: 'whatsapp:+447700900123', name: 'Ada Lovelace' }, text: 'Pothole outside number 12, Mill Lane', sentAt: new Date(1764230005000) },
    });
  });

  it('reads a WhatsApp image: caption as text, the media id as a Graph URL', () => {
    const [item] = parse('whatsapp-image.json');
    expect(item.kind === 'message' && item.message).toMatchObject({ text: 'Here it is', attachments: [{ filename: 'image-MEDIA-2001', contentType: 'image/jpeg', size: 0, url: 'https://graph.test/v21.0/MEDIA-2001' }] });
  });

  it('maps WhatsApp statuses, with a readable reason for a failure', () => {
    expect(parse('whatsapp-status.json').map((i) => i.kind === 'status' && [i.update.providerMessageId, i.update.status, i.update.reason])).toEqual([
      ['wamid.OUTBOUND1', DeliveryStatus.Delivered, undefined],
      ['wamid.OUTBOUND1', DeliveryStatus.Read, undefined],
      ['wamid.OUTBOUND2', DeliveryStatus.Failed, expect.stringMatching(/^WhatsApp error 131047: Re-engagement message: Message failed to send because more than 24 hours/)],
    ]);
  });

  it('maps Messenger delivery receipts by mid, and a read receipt by its watermark', () => {
    expect(parse('messenger-delivery.json')).toEqual([
      { kind: 'status', channel: Channel.Messenger, address: '100200300', update: { providerMessageId: 'm_out_delivered', status: DeliveryStatus.Delivered } },
      { kind: 'watermark', channel: Channel.Messenger, address: '100200300', recipient: 'PSID-7001', status: DeliveryStatus.Read, watermark: new Date(1764230011000) },
    ]);
  });

  it('keeps the good events of a batch and skips each bad one with its reason', () => {
    const items = parse('messenger-batch.json');
    expect(items.filter((i) => i.kind === 'message').map((i) => i.kind === 'message' && i.message.externalMessageId)).toEqual(['m_batch_1', 'm_batch_3', 'm_batch_4']);
    expect(items.filter((i) => i.kind === 'skip').map((i) => i.kind === 'skip' && i.reason)).toEqual([
      'messaging[1]: message.mid is missing',
      'entry[1]: not an object',
      'optin event not handled',
    ]);
  });

  it('refuses an unknown object or a body without entries as bad input', () => {
    const opts = { mediaUrl: (id: string) => id };
    expect(() => parseMetaWebhook({ object: 'user', entry: [] }, opts)).toThrow(/object: expected one of page, instagram, whatsapp_business_account/);
    expect(() => parseMetaWebhook({ object: 'page' }, opts)).toThrow(/entry: must be an array/);
    expect(() => parseMetaWebhook([], opts)).toThrow(/JSON object/);
  });
});

describe('Meta sending through a Graph API stand-in', () => {
  let graph: HttpStandIn;
  let client: GraphClient;
  beforeAll(async () => {
    graph = await startHttpStandIn(() => ({ status: 500 }));
    client = new GraphClient({ baseUrl: graph.url, version: 'v21.0', timeoutMs: 2000 });
  });
  afterAll(() => graph.close());
  beforeEach(() => graph.requests.splice(0));

  const messenger = () => new MessengerAdapter({ appSecret: SECRET, graph: client });
  const page = (settings: Record<string, unknown> = {}) => inbox(Channel.Messenger, '100200300', { pageAccessToken: 'page-token', ...settings });
  const windowError = { status: 400, body: { error: { message: '(#10) This message is sent outside of allowed window.', type: 'OAuthException', code: 10, error_subcode: 2018278 } } };

  it('Messenger: posts a RESPONSE to /{page}/messages with the page token and returns the message_id', async () => {
    graph.respond(() => ({ status: 200, body: { recipient_id: 'PSID-7001', message_id: 'm_out_1' } }));
    await expect(messenger().send(outbound('PSID-7001'), page())).resolves.toEqual({ providerMessageId: 'm_out_1' });
    expect(graph.requests).toHaveLength(1);
    expect(graph.requests[0]).toMatchObject({ method: 'POST', path: '/v21.0/100200300/messages', headers: { authorization: 'Bearer page-token' } });
    expect(graph.requests[0].json).toEqual({
      recipient: { id: 'PSID-7001' },
      messaging_type: 'RESPONSE',
      message: { text: 'We have booked a collection for Tuesday.', metadata: 'contact-hub:msg-1' },
    });
  });

  it('Instagram: the same send API, from the inbox’s pageId when set', async () => {
    graph.respond(() => ({ status: 200, body: { recipient_id: 'IGSID-5001', message_id: 'ig_out_1' } }));
    const ig = new InstagramAdapter({ appSecret: SECRET, graph: client });
    await expect(ig.send(outbound('IGSID-5001'), inbox(Channel.Instagram, '1784', { pageAccessToken: 't', pageId: 'PAGE-9' }))).resolves.toEqual({ providerMessageId: 'ig_out_1' });
    expect(graph.requests[0].path).toBe('/v21.0/PAGE-9/messages');
    expect(graph.requests[0].json.message).toEqual({ text: 'We have booked a collection for Tuesday.' }); // metadata is Messenger's only
  });

  it('past 24 hours, answers again with the HUMAN_AGENT tag where the inbox may use it', async () => {
    graph.respond((_req, n) => (n === 1 ? windowError : { status: 200, body: { message_id: 'm_tagged' } }));
    await expect(messenger().send(outbound('PSID-7001'), page({ humanAgentTag: true }))).resolves.toEqual({ providerMessageId: 'm_tagged' });
    expect(graph.requests.map((r) => [r.json.messaging_type, r.json.tag])).toEqual([['RESPONSE', undefined], ['MESSAGE_TAG', 'HUMAN_AGENT']]);
  });

  it('past 24 hours without the tag: a permanent failure that says why', async () => {
    graph.respond(() => windowError);
    const err = await messenger().send(outbound('PSID-7001'), page()).catch((e) => e);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err.message).toMatch(/more than 24 hours since the resident's last message/);
    expect(graph.requests).toHaveLength(1);
  });

  it('past 7 days even with the tag: permanent, naming the 7-day limit', async () => {
    graph.respond(() => windowError);
    const err = await messenger().send(outbound('PSID-7001'), page({ humanAgentTag: true })).catch((e) => e);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err.message).toMatch(/more than 7 days/);
  });

  it('an expired token is permanent and readable', async () => {
    graph.respond(() => ({ status: 400, body: { error: { message: 'Error validating access token', type: 'OAuthException', code: 190 } } }));
    const err = await messenger().send(outbound('PSID-7001'), page()).catch((e) => e);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err.message).toMatch(/page access token \(invalid or expired\)/);
  });

  it('429 with Retry-After is transient and carries the delay; 503 is transient', async () => {
    graph.respond(() => ({ status: 429, headers: { 'retry-after': '7' }, body: { error: { message: 'Too many calls', code: 613 } } }));
    const err = await messenger().send(outbound('PSID-7001'), page()).catch((e) => e);
    expect(err).toBeInstanceOf(TransientDeliveryError);
    expect(err.retryAfterMs).toBe(7000);
    graph.respond(() => ({ status: 503 }));
    await expect(messenger().send(outbound('PSID-7001'), page())).rejects.toBeInstanceOf(TransientDeliveryError);
  });

  it('an unreachable Graph API is transient', async () => {
    const dead = new MessengerAdapter({ appSecret: SECRET, graph: new GraphClient({ baseUrl: 'http://127.0.0.1:1', version: 'v21.0', timeoutMs: 500 }) });
    await expect(dead.send(outbound('PSID-7001'), page())).rejects.toThrow(TransientDeliveryError);
  });

  it('an inbox without a page token fails permanently without calling Meta', async () => {
    await expect(messenger().send(outbound('PSID-7001'), inbox(Channel.Messenger, '1', {}))).rejects.toThrow(/no page access token/);
    expect(graph.requests).toHaveLength(0);
  });

  it('splits a reply over Messenger’s 2,000 characters into several messages', async () => {
    graph.respond((_r, n) => ({ status: 200, body: { message_id: `m_part_${n}` } }));
    const text = `${'word '.repeat(500)}\n\n${'more '.repeat(100)}`;
    await expect(messenger().send(outbound('PSID-7001', text), page())).resolves.toEqual({ providerMessageId: 'm_part_2' });
    expect(graph.requests.map((r) => ((r.json.message as { text: string }).text.length <= 2000))).toEqual([true, true]);
    expect(splitText('a b', 2)).toEqual(['a', 'b']);
  });

  it('WhatsApp Cloud: posts text to /{phone_number_id}/messages and returns messages[0].id', async () => {
    graph.respond(() => ({ status: 200, body: { messaging_product: 'whatsapp', contacts: [{ input: '447700900123', wa_id: '447700900123' }], messages: [{ id: 'wamid.OUT1' }] } }));
    const wa = new WhatsappCloudAdapter({ appSecret: SECRET, graph: client });
    await expect(wa.send(outbound('whatsapp:+447700900123'), inbox(Channel.Whatsapp, 'PNID-3001', { provider: 'meta', accessToken: 'wa-token' }))).resolves.toEqual({ providerMessageId: 'wamid.OUT1' });
    expect(graph.requests[0]).toMatchObject({ path: '/v21.0/PNID-3001/messages', headers: { authorization: 'Bearer wa-token' } });
    expect(graph.requests[0].json).toEqual({ messaging_product: 'whatsapp', recipient_type: 'individual', to: '447700900123', type: 'text', text: { body: 'We have booked a collection for Tuesday.', preview_url: false } });
  });

  it('WhatsApp Cloud: outside 24 hours, the inbox’s approved reply template carries the text', async () => {
    graph.respond((_r, n) => (n === 1 ? { status: 400, body: { error: { message: 'Re-engagement message', code: 131047 } } } : { status: 200, body: { messages: [{ id: 'wamid.TEMPLATE1' }] } }));
    const wa = new WhatsappCloudAdapter({ appSecret: SECRET, graph: client });
    const waInbox = inbox(Channel.Whatsapp, 'PNID-3001', { provider: 'meta', accessToken: 'wa-token', replyTemplate: { name: 'council_reply', language: 'en_GB' } });
    await expect(wa.send(outbound('whatsapp:+447700900123', 'Line one.\n\nLine two.'), waInbox)).resolves.toEqual({ providerMessageId: 'wamid.TEMPLATE1' });
    expect(graph.requests.map((r) => r.json.type)).toEqual(['text', 'template']);
    expect(graph.requests[1].json).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '447700900123',
      type: 'template',
      template: { name: 'council_reply', language: { code: 'en_GB' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Line one. Line two.' }] }] },
    });
  });

  it('WhatsApp Cloud: outside 24 hours is permanent and says a template is needed; throttling is transient', async () => {
    const wa = new WhatsappCloudAdapter({ appSecret: SECRET, graph: client });
    const waInbox = inbox(Channel.Whatsapp, 'PNID-3001', { provider: 'meta', accessToken: 'wa-token' });
    graph.respond(() => ({ status: 400, body: { error: { message: 'Re-engagement message', code: 131047 } } }));
    const err = await wa.send(outbound('whatsapp:+447700900123'), waInbox).catch((e) => e);
    expect(err).toBeInstanceOf(PermanentDeliveryError);
    expect(err.message).toMatch(/template/);
    graph.respond(() => ({ status: 400, body: { error: { message: 'Rate limit hit', code: 130429 } } }));
    await expect(wa.send(outbound('whatsapp:+447700900123'), waInbox)).rejects.toBeInstanceOf(TransientDeliveryError);
  });
});
