import { randomUUID } from 'node:crypto';
import { CasesService } from '../src/cases/cases.service';
import { AgentRole, CaseStatus, Channel } from '../src/common/enum';
import { Db } from '../src/database/db';
import { InboxesService } from '../src/inboxes/inboxes.service';
import { startTestApp, TestApp } from './support/app';
import { CallbackStandIn, startCallbackStandIn } from './support/callback-stand-in';
import { eventually } from './support/eventually';
import { givenAgent, givenApiInbox, postApiMessage } from './support/given';
import { fixture } from './fixtures/meta/fixture';
import { HttpStandIn, StandInReply, StandInRequest, startHttpStandIn } from './support/http-stand-in';
import { slackSign } from './fixtures/slack/sign';

const SECRET = 'test-slack-signing-secret';
const AGENT_EMAIL = `slack-agent-${randomUUID().slice(0, 8)}@council.test`;

/** The Slack Web API: chat.postMessage answers with a fresh ts; users.info knows one agent. */
function slackApi(post: (req: StandInRequest, n: number) => StandInReply = (req, n) => ({ status: 200, body: { ok: true, channel: String(req.json.channel), ts: `1764230600.${String(n).padStart(6, '0')}` } })) {
  return (req: StandInRequest, n: number): StandInReply => {
    if (req.path === '/api/users.info') {
      return req.json.user === 'U0AGENT1' ? { status: 200, body: { ok: true, user: { id: 'U0AGENT1', profile: { email: AGENT_EMAIL } } } } : { status: 200, body: { ok: true, user: { id: req.json.user, profile: { email: 'stranger@elsewhere.test' } } } };
    }
    return post(req, n);
  };
}

describe('Slack end to end: /channels/slack/events, DMs as a channel, the staff mirror', () => {
  let t: TestApp;
  let api: HttpStandIn;
  let staff: { token: string };

  beforeAll(async () => {
    api = await startHttpStandIn(slackApi());
    t = await startTestApp({
      env: {
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_BOT_TOKEN: 'xoxb-test-token',
        SLACK_API_URL: `${api.url}/api/`,
        SLACK_MIRROR_CHANNELS: 'waste=CMIRROR',
        DELIVERY_MAX_ATTEMPTS: '3',
        DELIVERY_BACKOFF_MS: '20',
        DELIVERY_TIMEOUT_MS: '3000',
      },
    });
    await t.get(InboxesService).create({ channel: Channel.Slack, name: 'Partners on Slack', department: 'housing', address: 'T0COUNCIL' });
    staff = await givenAgent(t, { role: AgentRole.Supervisor, departments: ['housing', 'waste'] });
  });
  afterAll(async () => {
    await t.close();
    await api.close();
  });

  async function send(body: string, opts: { timestamp?: number; secret?: string; headers?: Record<string, string> } = {}) {
    const ts = opts.timestamp ?? Math.floor(Date.now() / 1000);
    const res = await fetch(`${t.url}/channels/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-slack-request-timestamp': String(ts), 'x-slack-signature': slackSign(opts.secret ?? SECRET, ts, body), ...opts.headers },
      body,
    });
    return { status: res.status, body: (await res.json().catch(() => ({}))) as Record<string, unknown> };
  }

  const messagesByExternalId = (id: string) => t.db.query<{ id: string; case_id: string; text: string; attachments: unknown[] }>(`SELECT id, case_id, text, attachments FROM message WHERE channel = 'slack' AND external_id = $1`, [id]);
  const posts = () => api.requests.filter((r) => r.path === '/api/chat.postMessage');

  it('answers url_verification with the challenge', async () => {
    expect(await send(fixture('slack', 'url-verification.json'))).toEqual({ status: 200, body: { challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' } });
  });

  it('refuses a forged signature and a stale timestamp with 403', async () => {
    const body = fixture('slack', 'dm-message.json');
    expect((await send(body, { secret: 'guess' })).status).toBe(403);
    expect((await send(body, { timestamp: Math.floor(Date.now() / 1000) - 301 })).status).toBe(403);
    expect(await messagesByExternalId('D0PARTNER1:1764230400.000100')).toEqual([]);
  });

  it('answers bad input with 400, never 5xx', async () => {
    expect((await send(JSON.stringify({ type: 'event_callback', event: {} }))).status).toBe(400);
    expect((await send('{"type":')).status).toBe(400);
  });

  it('drops NUL characters from a signed event (PostgreSQL cannot store them) before its ids are looked up', async () => {
    const event = JSON.parse(fixture('slack', 'dm-message.json')) as { team_id: string; event_id: string; event: { ts: string; text: string; channel: string } };
    event.team_id = `${event.team_id}\u0000`;
    event.event_id = 'Ev0NUL';
    event.event = { ...event.event, ts: '1764230499.000100', text: 'Damp\u0000 again', channel: `${event.event.channel}\u0000` };
    expect(await send(JSON.stringify(event))).toEqual({ status: 200, body: { ok: true, outcome: 'stored' } });
    const rows = await messagesByExternalId('D0PARTNER1:1764230499.000100');
    expect(rows.map((r) => r.text)).toEqual(['Damp again']);
  });

  it('stores a DM to the app as a case within 3 seconds, and a retry of the event once', async () => {
    const body = fixture('slack', 'dm-message.json');
    const started = Date.now();
    expect(await send(body)).toEqual({ status: 200, body: { ok: true, outcome: 'stored' } });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await send(body, { headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' } })).toEqual({ status: 200, body: { ok: true, outcome: 'duplicate' } });
    const rows = await messagesByExternalId('D0PARTNER1:1764230400.000100');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ text: 'Hello from the housing association: tenant at 4 Elm Court reports damp.', attachments: [expect.objectContaining({ filename: 'damp.jpg' })] });
  });

  it('ignores bot messages, its own posts and edits', async () => {
    for (const name of ['bot-message.json', 'own-post.json', 'message-changed.json']) {
      expect(await send(fixture('slack', name))).toEqual({ status: 200, body: { ok: true, outcome: 'ignored' } });
    }
    expect(await t.db.query(`SELECT 1 FROM message WHERE channel = 'slack' AND external_id LIKE '%1764230401%'`)).toEqual([]);
  });

  it('an agent’s reply to a Slack DM goes back with chat.postMessage; channel_not_found fails visibly; a 429 with Retry-After is retried', async () => {
    const [{ case_id }] = await messagesByExternalId('D0PARTNER1:1764230400.000100');
    const reply = async (text: string) => {
      const res = await fetch(`${t.url}/api/v1/cases/${case_id}/replies`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${staff.token}` }, body: JSON.stringify({ text }) });
      expect(res.status).toBe(201);
      return ((await res.json()) as { id: string }).id;
    };
    const state = async (id: string) => (await t.db.query<{ delivery_status: string; provider_message_id: string | null; delivery_reason: string | null }>(`SELECT delivery_status, provider_message_id, delivery_reason FROM message WHERE id = $1`, [id]))[0];

    api.requests.splice(0);
    const ok = await reply('Thanks, an officer will visit on Monday.');
    await eventually(async () => expect(await state(ok)).toMatchObject({ delivery_status: 'sent', provider_message_id: expect.stringMatching(/^U0PARTNER1:1764230600\./) }));
    expect(posts()[0]).toMatchObject({ headers: { authorization: 'Bearer xoxb-test-token' }, json: { channel: 'U0PARTNER1', text: 'Thanks, an officer will visit on Monday.' } });

    api.respond(slackApi(() => ({ status: 200, body: { ok: false, error: 'channel_not_found' } })));
    const refused = await reply('Are you still there?');
    await eventually(async () => expect(await state(refused)).toMatchObject({ delivery_status: 'failed', delivery_reason: expect.stringMatching(/does not exist, or the app cannot see it/) }));

    api.respond(slackApi((req) => (posts().length === 1 ? { status: 429, headers: { 'retry-after': '1' }, body: { ok: false, error: 'ratelimited' } } : { status: 200, body: { ok: true, channel: String(req.json.channel), ts: '1764230700.000001' } })));
    api.requests.splice(0);
    const throttled = await reply('One more thing.');
    await eventually(async () => expect(await state(throttled)).toMatchObject({ delivery_status: 'sent', provider_message_id: 'U0PARTNER1:1764230700.000001' }));
    expect(posts().length).toBe(2);
    api.respond(slackApi());
  });

  describe('staff mirror', () => {
    let hook: CallbackStandIn;
    beforeAll(async () => {
      hook = await startCallbackStandIn(() => ({ status: 200, body: { id: `cb-${randomUUID()}` } }));
      await givenAgent(t, { email: AGENT_EMAIL, departments: ['waste'] });
    });
    afterAll(() => hook.close());

    it('posts a new case as a thread; a mapped agent’s thread reply reaches the resident once, and is not mirrored back', async () => {
      api.requests.splice(0);
      const inbox = await givenApiInbox(t, { department: 'waste', callbackUrl: hook.url });
      const posted = await postApiMessage(t, inbox.token, { externalId: `in-${randomUUID()}`, from: { address: 'res-1', name: 'Grace Hopper' }, text: 'My green bin was missed.' });
      expect(posted.status).toBe(201);
      const parent = await eventually(() => {
        const p = posts().find((r) => r.json.channel === 'CMIRROR' && !r.json.thread_ts);
        if (!p) throw new Error('no parent post yet');
        return p;
      });
      expect(String(parent.json.text)).toContain(String(posted.body.reference));
      expect(String(parent.json.text)).toContain('Grace Hopper');
      expect(String(parent.json.text)).toContain('> My green bin was missed.');
      expect(String(parent.json.text)).toContain(`/console?case=${String(posted.body.caseId)}`);
      // The thread is recorded once Slack has answered the parent post with its ts.
      const { thread_ts } = await eventually(async () => {
        const [row] = await t.db.query<{ thread_ts: string }>(`SELECT thread_ts FROM slack_thread WHERE case_id = $1`, [posted.body.caseId]);
        expect(row).toBeDefined();
        return row;
      });

      const eventId = `Ev${randomUUID().slice(0, 8)}`;
      const body = fixture('slack', 'thread-reply.json').replace('__TS__', '1764230800.000001').replace('__THREAD_TS__', thread_ts).replace('__EVENT_ID__', eventId);
      expect(await send(body)).toEqual({ status: 200, body: { ok: true, outcome: 'replied' } });
      expect(await send(body, { headers: { 'x-slack-retry-num': '1' } })).toEqual({ status: 200, body: { ok: true, outcome: 'duplicate' } });

      await eventually(() => expect(hook.requests.map((r) => r.json.text)).toEqual(['We will send a crew on Tuesday morning.']));
      const replies = await t.db.query<{ author_agent_id: string }>(`SELECT author_agent_id FROM message WHERE case_id = $1 AND direction = 'outbound'`, [posted.body.caseId]);
      expect(replies).toHaveLength(1);

      // The resident writes again: it goes into the thread. The agent's Slack reply never did (loop guard).
      await postApiMessage(t, inbox.token, { externalId: `in-${randomUUID()}`, from: { address: 'res-1' }, text: 'Thank you!' });
      await eventually(() => expect(posts().some((r) => r.json.thread_ts === thread_ts && String(r.json.text).includes('Thank you!'))).toBe(true));
      expect(posts().filter((r) => String(r.json.text).includes('crew on Tuesday'))).toEqual([]);
    });

    it('a thread reply from a Slack user who is not an agent changes nothing', async () => {
      const [{ case_id, thread_ts }] = await t.db.query<{ case_id: string; thread_ts: string }>(`SELECT case_id, thread_ts FROM slack_thread LIMIT 1`);
      const body = fixture('slack', 'thread-reply.json').replace('U0AGENT1', 'U0STRANGER').replace('__TS__', '1764230900.000001').replace('__THREAD_TS__', thread_ts).replace('__EVENT_ID__', 'Ev0STRANGER');
      expect(await send(body)).toEqual({ status: 200, body: { ok: true, outcome: 'ignored' } });
      expect(await t.db.query(`SELECT 1 FROM message WHERE case_id = $1 AND direction = 'outbound'`, [case_id])).toHaveLength(1);
    });

    it('a thread reply the hub refuses (the case is closed) is answered in the thread with the reason, and stores nothing', async () => {
      const inbox = await givenApiInbox(t, { department: 'waste', callbackUrl: hook.url });
      const posted = await postApiMessage(t, inbox.token, { externalId: `in-${randomUUID()}`, from: { address: 'res-closed' }, text: 'My black bin was missed again.' });
      const { thread_ts } = await eventually(async () => {
        const [row] = await t.db.query<{ thread_ts: string }>(`SELECT thread_ts FROM slack_thread WHERE case_id = $1`, [posted.body.caseId]);
        expect(row).toBeDefined();
        return row;
      });
      await t.get(Db).transaction((tx) => t.get(CasesService).changeStatus(tx, String(posted.body.caseId), CaseStatus.Closed));
      const body = fixture('slack', 'thread-reply.json').replace('__TS__', '1764230950.000001').replace('__THREAD_TS__', thread_ts).replace('__EVENT_ID__', `Ev${randomUUID().slice(0, 8)}`);
      expect(await send(body)).toEqual({ status: 200, body: { ok: true, outcome: 'ignored' } });
      await eventually(() => expect(posts().some((r) => r.json.thread_ts === thread_ts && /^:warning: Not sent to the resident: .*closed/.test(String(r.json.text)))).toBe(true));
      expect(await t.db.query(`SELECT 1 FROM message WHERE case_id = $1 AND direction = 'outbound'`, [posted.body.caseId])).toHaveLength(0);
    });
  });
});
