import { InboxesService } from '../src/inboxes/inboxes.service';
import { startTestApp, TestApp } from './support/app';
import { connectWidget, postSession, WidgetClient } from './support/widget-client';

/** Rate limits on their own hub with tiny limits, so the other web chat tests never meet them. */
describe('Web chat: rate limits', () => {
  let t: TestApp;
  let inboxToken: string;
  const widgets: WidgetClient[] = [];

  beforeAll(async () => {
    t = await startTestApp({ env: { WEBCHAT_MESSAGES_PER_MINUTE: '3', WEBCHAT_SESSIONS_PER_MINUTE: '4' } });
    inboxToken = (await t.get(InboxesService).create({ channel: 'webchat', name: 'Limits web chat', department: 'customer-services' })).token;
  });

  afterAll(async () => {
    for (const w of widgets) w.close();
    await t?.close();
  });

  it('refuses a visitor’s messages past the limit with RateLimited, storing nothing, the socket still up', async () => {
    const session = await postSession(t.url, { inbox: inboxToken });
    const widget = await connectWidget(t.url, session.body.visitorToken);
    widgets.push(widget);
    const acks = [];
    for (let i = 0; i < 5; i++) acks.push(await widget.send('message:send', { text: `message ${i}`, clientId: `rl-${i}` }));
    expect(acks.slice(0, 3).every((a) => a.ok)).toBe(true);
    expect(acks[3]).toMatchObject({ ok: false, error: { code: 'RateLimited', retryAfterSeconds: expect.any(Number) } });
    expect(acks[4]).toMatchObject({ ok: false, error: { code: 'RateLimited' } });
    const [{ n }] = await t.db.query(`SELECT count(*)::int AS n FROM message WHERE channel = 'webchat' AND external_id LIKE $1`, [`${session.body.visitor.id}:%`]);
    expect(n).toBe(3);
    expect(widget.socket.connected).toBe(true);
    expect(await widget.send('typing', { typing: false })).toEqual({ ok: true });
  });

  it('answers 429 to an address that opens too many sessions', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await postSession(t.url, { inbox: inboxToken })).status);
    // The first test took one of this minute's sessions.
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(2);
    expect(statuses.slice(0, 3)).toEqual([200, 200, 200]);
  });
});
