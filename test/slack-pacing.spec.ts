import { randomBytes } from 'node:crypto';
import IORedis from 'ioredis';
import { TransientDeliveryError } from '../src/channels/channel-adapter';
import { SlackClient } from '../src/channels/slack/slack-client';
import { MemorySlackPacer, RedisSlackPacer } from '../src/channels/slack/slack-pacer';
import { HttpStandIn, startHttpStandIn } from './support/http-stand-in';
import { TEST_REDIS_URL } from './support/services';

/**
 * Slack's one message a second per channel, kept by several hub processes together: two pacers (two processes)
 * sharing Redis and a key prefix. Only lower bounds on elapsed time are checked (a pace can only make things later).
 */
describe('Slack pacing across processes (Redis)', () => {
  const prefix = `hubtest:${randomBytes(4).toString('hex')}`;
  let a: RedisSlackPacer;
  let b: RedisSlackPacer;
  let redis: IORedis;

  beforeAll(() => {
    a = new RedisSlackPacer({ redisUrl: TEST_REDIS_URL, prefix, intervalSeconds: 1 });
    b = new RedisSlackPacer({ redisUrl: TEST_REDIS_URL, prefix, intervalSeconds: 1 });
    redis = new IORedis(TEST_REDIS_URL);
  });
  afterAll(async () => {
    await a.close();
    await b.close();
    await redis.quit();
  });

  it('a turn taken by one process makes the other wait for that channel, not for another one', async () => {
    const order: string[] = [];
    const started = Date.now();
    await a.take('C-shared');
    order.push('a:C-shared');
    const held = b.take('C-shared').then(() => order.push('b:C-shared'));
    await b.take('C-other').then(() => order.push('b:C-other'));
    await held;
    expect(order).toEqual(['a:C-shared', 'b:C-other', 'b:C-shared']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
  });

  it('a 429 seen by one process holds the channel for every process, in Redis', async () => {
    await a.hold('C-limited', 2000);
    const ttl = await redis.pttl(b.keyOf('C-limited'));
    expect(ttl).toBeGreaterThan(1000);
    const started = Date.now();
    await b.take('C-limited');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
  });

  it('keeps different prefixes (hubs) apart', async () => {
    const other = new RedisSlackPacer({ redisUrl: TEST_REDIS_URL, prefix: `${prefix}-other`, intervalSeconds: 1 });
    try {
      await a.take('C-prefix');
      expect(a.keyOf('C-prefix')).not.toBe(other.keyOf('C-prefix'));
      expect(await redis.exists(other.keyOf('C-prefix'))).toBe(0); // a's turn is not the other hub's
      await other.take('C-prefix');
      expect(await redis.exists(other.keyOf('C-prefix'))).toBe(1);
    } finally {
      await other.close();
    }
  });

  describe('two Slack clients (two processes) posting through one Slack', () => {
    let api: HttpStandIn;
    let one: SlackClient;
    let two: SlackClient;

    beforeAll(async () => {
      api = await startHttpStandIn((_r, n) => ({ status: 200, body: { ok: true, channel: 'C1', ts: `1.${n}` } }));
      one = new SlackClient({ apiUrl: `${api.url}/api/`, timeoutMs: 2000, minIntervalMs: 1000, pacer: a });
      two = new SlackClient({ apiUrl: `${api.url}/api/`, timeoutMs: 2000, minIntervalMs: 1000, pacer: b });
    });
    afterAll(() => api.close());
    beforeEach(() => api.requests.splice(0));

    it('sends their posts to one channel a second apart, whichever process sends', async () => {
      const started = Date.now();
      await Promise.all([one.postMessage('xoxb-test', { channel: 'C-mirror', text: 'from one' }), two.postMessage('xoxb-test', { channel: 'C-mirror', text: 'from two' })]);
      expect(api.requests.map((r) => r.json.text).sort()).toEqual(['from one', 'from two']);
      expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    });

    it('honours a Retry-After one process received when the other posts next', async () => {
      api.respond((_r, n) => (n === 1 ? { status: 429, headers: { 'retry-after': '2' }, body: { ok: false, error: 'ratelimited' } } : { status: 200, body: { ok: true, channel: 'C1', ts: `2.${n}` } }));
      const err = await one.postMessage('xoxb-test', { channel: 'C-busy', text: 'refused' }).catch((e) => e);
      expect(err).toBeInstanceOf(TransientDeliveryError);
      const started = Date.now();
      const later = two.postMessage('xoxb-test', { channel: 'C-busy', text: 'after the wait' });
      await two.postMessage('xoxb-test', { channel: 'C-free', text: 'another channel' });
      await later;
      expect(api.requests.map((r) => r.json.text)).toEqual(['refused', 'another channel', 'after the wait']);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1500);
    });
  });
});

describe('Slack pacing in one process (no Redis)', () => {
  it('spaces turns per channel and holds a channel after a 429', async () => {
    const pacer = new MemorySlackPacer(200);
    const started = Date.now();
    await pacer.take('C1');
    await pacer.take('C2');
    await pacer.take('C1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(190);
    await pacer.hold('C3', 300);
    const held = Date.now();
    await pacer.take('C3');
    expect(Date.now() - held).toBeGreaterThanOrEqual(290);
    await pacer.close();
  });
});
