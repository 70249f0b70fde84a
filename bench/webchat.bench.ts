/**
 * Web chat at scale: memory per idle widget socket, and the message round trip with many conversations going.
 *
 *   npm run bench:webchat [-- --sockets 10000 --conversations 100 --rounds 20 --think 3000 --redis]
 *
 * (each flag also as env: BENCH_SOCKETS, BENCH_CONVERSATIONS, BENCH_ROUNDS, BENCH_THINK, BENCH_REDIS=1.)
 *
 * 1. A fresh database; the built hub as a child process on loopback (with --redis: Redis streams adapter, BullMQ and
 *    rate limits in Redis, under a key prefix of its own); a web chat inbox; one agent per ten conversations.
 * 2. M conversations: each a resident's widget socket (a real session) whose first message became a case an agent
 *    claimed over /console.
 * 3. Baseline: every conversation does `rounds` round trips, one after another with a pause of `think` ms (±50 %)
 *    between them, as people in a conversation do: the resident sends message:send → the agent's console receives
 *    message:created → the agent sends case:reply at once → the resident's widget receives the reply's `message`
 *    (through the delivery job and the web chat adapter). Timed from the resident's send to the widget's receipt,
 *    and to the agent's receipt on the way. `--think 0` is a closed loop: it measures saturation, not latency.
 * 4. N idle widget sockets connect (each its own visitor, token signed here with the hub's secret: the sessions are
 *    not what is measured), each greeted with `hello`; the hub's RSS before and after gives the memory per 1,000.
 * 5. The same round trips again with the N sockets connected.
 * It prints figures and asserts nothing; the database (and Redis keys) are removed at the end. Loopback only.
 */
import 'reflect-metadata';
import { JwtService } from '@nestjs/jwt';
import { randomBytes, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { io, Socket } from 'socket.io-client';
import { hashToken } from '../src/inboxes/inboxes.service';
import { HubProcess, startHubProcess } from '../test/support/hub-process';
import { adminQuery, ensureServicesRunning, PG_ADMIN_URL, TEST_REDIS_URL } from '../test/support/services';
import { booleanFlag, createBenchDatabase, dropRedisKeys, numberFlag, runBench, signInAgents } from './support/setup';
import { cpuSnapshot, cpuUsageSince, CpuUsage, percentile } from './support/load';

interface Options {
  sockets: number;
  conversations: number;
  rounds: number;
  think: number;
  redis: boolean;
}

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];
const CONVERSATIONS_PER_AGENT = 10;

interface Conversation {
  widget: Socket;
  agent: Socket;
  caseId: string;
}

interface Rounds {
  roundTripMs: number[];
  toAgentMs: number[];
  failed: number;
  elapsedS: number;
  cpu: CpuUsage;
}

async function main(): Promise<void> {
  const o = options();
  const run = randomBytes(3).toString('hex');
  const dbName = `hub_bench_webchat_${run}`;
  const prefix = `hubbench:${run}`;
  const secret = randomBytes(32).toString('hex');
  if (!LOOPBACK.includes(new URL(PG_ADMIN_URL).hostname)) throw new Error(`only a loopback PostgreSQL: ${PG_ADMIN_URL}`);
  ensureServicesRunning();
  let hub: HubProcess | undefined;
  const sockets: Socket[] = [];
  const cleanup = async () => {
    for (const s of sockets) s.disconnect();
    await hub?.stop(10_000);
    await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    if (o.redis) await dropRedisKeys(prefix);
  };
  const watchdog = setTimeout(() => void cleanup().finally(() => (console.error('bench: out of time'), process.exit(2))), 30 * 60 * 1000);
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    const url = await createBenchDatabase(dbName);
    const env: Record<string, string> = {
      DATABASE_URL: url,
      AUTH_SECRET: secret,
      LOG_LEVEL: 'warn',
      CONSOLE_OFFLINE_GRACE_MS: '600000',
      WEBCHAT_SESSIONS_PER_MINUTE: '1000000',
      WEBCHAT_MESSAGES_PER_MINUTE: '10000',
      WEBCHAT_ABANDON_AFTER_MS: '3600000',
      NODE_OPTIONS: process.env.BENCH_HUB_NODE_OPTIONS ?? '',
    };
    if (o.redis) Object.assign(env, { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix });
    hub = await startHubProcess({ env });
    const db = new Client({ connectionString: url });
    await db.connect();
    const inbox = await createWebchatInbox(db, run);
    console.log(`hub pid ${hub.pid} on ${hub.url} (${o.redis ? `Redis, prefix ${prefix}` : 'one process, no Redis'}); PostgreSQL database ${dbName}`);
    console.log(`machine: ${readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length} cores, shared with other work: figures are indicative`);

    const agents = await signInAgents(db, hub.url, Math.ceil(o.conversations / CONVERSATIONS_PER_AGENT), run);
    const agentSockets = await Promise.all(agents.map((a) => connect(`${hub!.url}/console`, a.token, sockets)));
    const conversations = await startConversations(hub.url, inbox.token, agentSockets, o.conversations, sockets);
    const rssBase = rss(hub.pid);
    console.log(`${conversations.length} conversations with ${agentSockets.length} agents; hub RSS ${mb(rssBase)}`);

    const quiet = await roundTrips(conversations, o, hub.pid, 'quiet');
    const idle = await openIdle(hub.url, inbox.id, secret, o.sockets, sockets);
    await new Promise((r) => setTimeout(r, 3000));
    const rssIdle = rss(hub.pid);
    const busy = await roundTrips(conversations, o, hub.pid, 'idle');
    const rssAfter = rss(hub.pid);
    await db.end();
    report(o, { rssBase, rssIdle, rssAfter, idle }, quiet, busy);
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}

/** Each conversation: a real session, a widget socket, a first message that becomes a case, claimed by its agent. */
async function startConversations(hubUrl: string, inboxToken: string, agents: Socket[], count: number, all: Socket[]): Promise<Conversation[]> {
  const conversations: Conversation[] = [];
  for (let i = 0; i < count; i += 20) {
    const batch = Array.from({ length: Math.min(20, count - i) }, (_, j) => i + j);
    conversations.push(
      ...(await Promise.all(
        batch.map(async (n) => {
          const session = await post(`${hubUrl}/webchat/v1/session`, { inbox: inboxToken });
          const widget = await connect(`${hubUrl}/webchat`, session.visitorToken, all);
          const conversation = once<{ caseId: string }>(widget, 'conversation');
          const ack = (await widget.timeout(30_000).emitWithAck('message:send', { text: `Hello, conversation ${n}`, clientId: 'first' })) as { ok: boolean; error?: unknown };
          if (!ack.ok) throw new Error(`first message of conversation ${n}: ${JSON.stringify(ack.error)}`);
          const { caseId } = await conversation;
          const agent = agents[n % agents.length];
          const claim = (await agent.timeout(30_000).emitWithAck('case:claim', { caseId })) as { ok: boolean; error?: unknown };
          if (!claim.ok) throw new Error(`claim of conversation ${n}: ${JSON.stringify(claim.error)}`);
          return { widget, agent, caseId };
        }),
      )),
    );
  }
  return conversations;
}

/**
 * Every conversation at once, `rounds` round trips each in sequence: resident sends → agent receives → agent replies →
 * resident receives. An agent answers as soon as the message arrives (no think time): this measures the hub.
 */
async function roundTrips(conversations: Conversation[], { rounds, think }: Options, pid: number, phase: string): Promise<Rounds> {
  const roundTripMs: number[] = [];
  const toAgentMs: number[] = [];
  let failed = 0;
  const cpu0 = cpuSnapshot(pid);
  const t0 = performance.now();
  await Promise.all(
    conversations.map(async (c, n) => {
      for (let r = 0; r < rounds; r++) {
        // Conversations start spread over one pause, then each waits its pause after every round trip.
        await new Promise((resolve) => setTimeout(resolve, think * (r === 0 ? Math.random() : 0.5 + Math.random())));
        const text = `${phase} ${n} ${r}`;
        try {
          const begin = performance.now();
          const atAgent = once<unknown>(c.agent, 'message:created', (p: { message: { caseId: string; text: string } }) => p.message.caseId === c.caseId && p.message.text === text);
          const reply = once<unknown>(c.widget, 'message', (m: { direction: string; text: string }) => m.direction === 'agent' && m.text === `re: ${text}`);
          const sent = (await c.widget.timeout(30_000).emitWithAck('message:send', { text, clientId: `${phase}-${r}` })) as { ok: boolean; error?: unknown };
          if (!sent.ok) throw new Error(JSON.stringify(sent.error));
          await atAgent;
          toAgentMs.push(performance.now() - begin);
          const ack = (await c.agent.timeout(30_000).emitWithAck('case:reply', { caseId: c.caseId, text: `re: ${text}` })) as { ok: boolean; error?: unknown };
          if (!ack.ok) throw new Error(JSON.stringify(ack.error));
          await reply;
          roundTripMs.push(performance.now() - begin);
        } catch (e) {
          failed++;
          if (failed < 5) console.error(`round trip ${text}: ${(e as Error).message}`);
        }
      }
    }),
  );
  return { roundTripMs, toAgentMs, failed, elapsedS: (performance.now() - t0) / 1000, cpu: cpuUsageSince(cpu0) };
}

/** N widget sockets that never write: each its own visitor, greeted with `hello`. */
async function openIdle(hubUrl: string, inboxId: string, secret: string, count: number, all: Socket[]): Promise<{ connected: number; failed: number; seconds: number }> {
  const jwt = new JwtService({ secret });
  const t0 = performance.now();
  let connected = 0;
  let failed = 0;
  for (let i = 0; i < count; i += 250) {
    const batch = Math.min(250, count - i);
    const results = await Promise.allSettled(
      Array.from({ length: batch }, async () => {
        const token = await jwt.signAsync({ sub: randomUUID(), inbox: inboxId }, { audience: 'webchat', issuer: 'contact-hub', expiresIn: 3600 });
        await connect(`${hubUrl}/webchat`, token, all);
      }),
    );
    connected += results.filter((r) => r.status === 'fulfilled').length;
    failed += results.filter((r) => r.status === 'rejected').length;
  }
  return { connected, failed, seconds: (performance.now() - t0) / 1000 };
}

function connect(url: string, token: string, all: Socket[]): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = io(url, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true, timeout: 60_000 });
    all.push(socket);
    socket.once('hello', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

function once<T>(socket: Socket, event: string, match: (payload: any) => boolean = () => true, timeoutMs = 30_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => (socket.off(event, listener), reject(new Error(`no ${event} within ${timeoutMs} ms`))), timeoutMs);
    const listener = (payload: T) => {
      if (!match(payload)) return;
      clearTimeout(timer);
      socket.off(event, listener);
      resolve(payload);
    };
    socket.on(event, listener);
  });
}

async function post(url: string, body: unknown): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status !== 200) throw new Error(`${url} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

/** The hub's resident set size, in bytes. */
function rss(pid: number): number {
  const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) * 1024;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function createWebchatInbox(db: Client, run: string): Promise<{ id: string; token: string }> {
  const token = `hub_in_${randomBytes(24).toString('base64url')}`;
  const { rows } = await db.query(
    `INSERT INTO inbox (channel, name, department_id, token_hash, secret) SELECT 'webchat', $1, id, $2, $3 FROM department WHERE slug = 'customer-services' RETURNING id`,
    [`Bench web chat ${run}`, hashToken(token), randomBytes(32).toString('base64url')],
  );
  if (!rows.length) throw new Error('no customer-services department: has the hub started on this database?');
  return { id: rows[0].id, token };
}



function report(o: Options, memory: { rssBase: number; rssIdle: number; rssAfter: number; idle: { connected: number; failed: number; seconds: number } }, quiet: Rounds, busy: Rounds): void {
  const sorted = (xs: number[]) => Float64Array.from(xs).sort();
  const ms = (xs: number[], p: number) => (xs.length ? percentile(sorted(xs), p).toFixed(1) : '-').padStart(8);
  const row = (label: string, xs: number[]) => console.log(`${label.padEnd(62)}${String(xs.length).padStart(8)}${ms(xs, 50)}${ms(xs, 99)}${ms(xs, 100)}`);
  const perThousand = memory.idle.connected ? ((memory.rssIdle - memory.rssBase) / memory.idle.connected) * 1000 : NaN;
  console.log(`\nidle widget sockets: ${memory.idle.connected} connected (${memory.idle.failed} failed) in ${memory.idle.seconds.toFixed(1)} s`);
  console.log(`hub RSS: ${mb(memory.rssBase)} with ${o.conversations} conversations; ${mb(memory.rssIdle)} with ${memory.idle.connected} idle sockets more; ${mb(memory.rssAfter)} after the second round trips`);
  console.log(`memory per 1,000 idle widget sockets: ${(perThousand / 1024 / 1024).toFixed(1)} MB`);
  console.log(`\nround trips: ${o.rounds} per conversation, ${o.think} ms (±50 %) between them`);
  console.log(`\n${''.padEnd(62)}${'count'.padStart(8)}${'p50 ms'.padStart(8)}${'p99'.padStart(8)}${'max'.padStart(8)}`);
  row(`round trip, ${o.conversations} conversations, no idle sockets (baseline)`, quiet.roundTripMs);
  row(`  of which resident send → agent's message:created`, quiet.toAgentMs);
  row(`round trip, ${o.conversations} conversations + ${memory.idle.connected} idle sockets`, busy.roundTripMs);
  row(`  of which resident send → agent's message:created`, busy.toAgentMs);
  for (const [label, r] of [['baseline', quiet], ['with idle sockets', busy]] as const) {
    console.log(`${label}: ${(r.roundTripMs.length / r.elapsedS).toFixed(0)} round trips/s, ${r.failed} failed; CPU (cores of ${r.cpu.cores}): machine ${r.cpu.busy.toFixed(2)}, hub ${r.cpu.process.toFixed(2)}, bench ${r.cpu.self.toFixed(2)}`);
  }
  const p99 = busy.roundTripMs.length ? percentile(sorted(busy.roundTripMs), 99) : Infinity;
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const projected = memory.rssBase + (perThousand * 10_000) / 1000;
  console.log(`\ntargets: 10,000 sockets under 1 GB RSS ${verdict(projected < 1024 ** 3)} (${mb(projected)} projected at 10,000); round trip p99 < 200 ms with ${o.conversations} conversations ${verdict(p99 < 200)}`);
}

function options(): Options {

  return {
    sockets: Math.floor(numberFlag('sockets', 10_000)),
    conversations: Math.max(1, Math.floor(numberFlag('conversations', 100))),
    rounds: Math.max(1, Math.floor(numberFlag('rounds', 20))),
    think: numberFlag('think', 3000),
    redis: booleanFlag('redis'),
  };
}

runBench(main);
