/**
 * Agent console latency: how long a resident's message takes to reach the agents' screens, and how fast agents
 * claim cases when many race for them.
 *
 *   npm run bench:console [-- --rate 200 --duration 10 --agents 50 --racers 200 --rounds 3 --redis]
 *
 * (each flag also as env: BENCH_RATE, BENCH_DURATION, ...; the hub's own settings such as DATABASE_POOL_SIZE pass
 * through the environment to it.)
 *
 * 1. A fresh database (CREATE DATABASE, migrations); the built hub as a child process on a free loopback port
 *    (with --redis: on Redis, socket.io streams adapter and BullMQ, under a key prefix of its own); an API inbox;
 *    agents in one department, signed in over HTTP.
 * 2. Baseline: messages POSTed through the API channel at a fixed rate (open loop) for D seconds with no console
 *    connected: the POST's own latency.
 * 3. The same with `agents` console sockets connected: POST latency again, and the latency from sending the POST
 *    to the `message:created` push arriving at each agent's socket (every agent sees every message).
 * 4. `racers` agents connected, all sending `case:claim-next` at once, `rounds` times: ack latency, and double
 *    owners (two acks for one case, or an ack the database disagrees with), which must be 0.
 * 5. The race's floors, in the same run: as many sockets racing the same way against stand-in servers in their own
 *    process that answer with a real claim's bytes: a bare socket.io server acking at once (the sockets alone), and
 *    the least claim (one grouped UPDATE … SKIP LOCKED and its commit per turn; see FLOOR_SERVERS). Beside them, how
 *    long the load generator's own loop took to send each round's commands: every racer's latency includes it.
 * It prints figures and asserts nothing; the database (and Redis keys) are removed at the end. Loopback only.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { loadavg } from 'node:os';
import { Agent as HttpAgent, request } from 'node:http';
import { Client } from 'pg';
import { io, Socket } from 'socket.io-client';
import { createApiInbox, HubProcess, startHubProcess } from '../test/support/hub-process';
import { adminQuery, ensureServicesRunning, PG_ADMIN_URL, TEST_REDIS_URL } from '../test/support/services';
import { booleanFlag, createBenchDatabase, dropRedisKeys, numberFlag, runBench, signInAgents, startBareServer } from './support/setup';
import { cpuSnapshot, cpuUsageSince, CpuUsage, percentile } from './support/load';

interface Options {
  rate: number;
  duration: number;
  agents: number;
  racers: number;
  rounds: number;
  redis: boolean;
}

const LOOPBACK = ['127.0.0.1', 'localhost', '[::1]'];

async function main(): Promise<void> {
  const o = options();
  const run = randomBytes(3).toString('hex');
  const dbName = `hub_bench_console_${run}`;
  const prefix = `hubbench:${run}`;
  if (!LOOPBACK.includes(new URL(PG_ADMIN_URL).hostname)) throw new Error(`only a loopback PostgreSQL: ${PG_ADMIN_URL}`);
  if (o.redis && !LOOPBACK.includes(new URL(TEST_REDIS_URL).hostname)) throw new Error(`only a loopback Redis: ${TEST_REDIS_URL}`);
  ensureServicesRunning();
  let hub: HubProcess | undefined;
  const sockets: Socket[] = [];
  const cleanup = async () => {
    for (const s of sockets) s.disconnect();
    await hub?.stop(10_000); // SIGTERM: a clean exit (and a profile, with a profiler in BENCH_HUB_NODE_OPTIONS)
    if (hub && process.env.BENCH_HUB_OUTPUT === '1') console.log(`\n--- hub output (last 64 kB)\n${hub.output()}`);
    await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    if (o.redis) await dropRedisKeys(prefix);
  };
  const watchdog = setTimeout(() => void cleanup().finally(() => (console.error('bench: out of time'), process.exit(2))), (o.duration * 4 + 300) * 1000);
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    const url = await createBenchDatabase(dbName, { synchronousCommit: 'on' });
    // BENCH_HUB_NODE_OPTIONS: node options for the hub only, e.g. `--require /tmp/profile-hook.js` (one that starts
    // node:inspector's Profiler); node refuses `--cpu-prof` in NODE_OPTIONS and the hub then fails to start.
    const env: Record<string, string> = { DATABASE_URL: url, LOG_LEVEL: 'warn', CONSOLE_OFFLINE_GRACE_MS: '600000', NODE_OPTIONS: process.env.BENCH_HUB_NODE_OPTIONS ?? '' };
    if (o.redis) Object.assign(env, { REDIS_URL: TEST_REDIS_URL, REDIS_PREFIX: prefix });
    hub = await startHubProcess({ env });
    const port = Number(new URL(hub.url).port);
    const db = new Client({ connectionString: url });
    await db.connect();
    const inbox = await createApiInbox(url, async (sql, params) => (await db.query(sql, params)).rows);
    console.log(`hub pid ${hub.pid} on ${hub.url} (${o.redis ? `Redis, prefix ${prefix}` : 'one process, no Redis'}); PostgreSQL database ${dbName}`);
    const tokens = await signInAgents(db, hub.url, Math.max(o.agents, o.racers), run);
    console.log(`${tokens.length} agents signed in; load: ${o.rate} messages/s for ${o.duration} s per phase`);

    const quiet = await postAtRate(port, inbox.token, o, run, 'quiet', undefined);
    const listeners = await connectAll(hub.url, tokens.slice(0, o.agents), sockets);
    const cpu0 = cpuSnapshot(hub.pid);
    const watched = await postAtRate(port, inbox.token, o, run, 'watched', listeners);
    const watchedCpu = cpuUsageSince(cpu0);
    const racers = [...listeners, ...(await connectAll(hub.url, tokens.slice(o.agents, o.racers), sockets))].slice(0, o.racers);
    // The race's figures follow the machine's load more than anything: say what it was (other work shares the cores).
    const raceCpu = cpuSnapshot(hub.pid);
    // BENCH_HUB_SIGNAL_RACE: a signal sent to the hub as the race starts and again as it ends, so a profiler hook
    // (BENCH_HUB_NODE_OPTIONS) can keep the race alone. SIGWINCH: Nest's shutdown hooks take SIGUSR2.
    if (process.env.BENCH_HUB_SIGNAL_RACE) process.kill(hub.pid, process.env.BENCH_HUB_SIGNAL_RACE);
    console.log(`load average before the claim race: ${loadavg().map((l) => l.toFixed(2)).join(', ')}`);
    const race = await claimRace(racers, o.rounds, db);
    const raceUsage = cpuUsageSince(raceCpu);
    if (process.env.BENCH_HUB_SIGNAL_RACE) process.kill(hub.pid, process.env.BENCH_HUB_SIGNAL_RACE);
    console.log(`CPU during the claim race (cores of ${raceUsage.cores}): machine ${raceUsage.busy.toFixed(2)}, hub ${raceUsage.process.toFixed(2)}`);
    await db.end();
    const answer = JSON.stringify(race.sampleAck ?? { ok: true });
    const floors = {
      bare: await floorRace(o.racers, o.rounds, FLOOR_SERVERS.bare(answer)),
      leastClaim: await floorRace(o.racers, o.rounds, FLOOR_SERVERS.leastClaim(answer, url)),
    };
    report(o, quiet, watched, watchedCpu, race, floors);
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}

interface PhaseResult {
  sent: number;
  acked: number;
  failed: number;
  postMs: number[];
  /** Latency from sending the POST to the push at a socket, one per (agent, message). */
  pushMs: number[];
  pushesExpected: number;
  elapsedS: number;
}

/** Open loop: a POST every 1/rate s whatever the answers do; each message from a new or returning resident. */
async function postAtRate(port: number, token: string, o: Options, run: string, phase: string, listeners: Socket[] | undefined): Promise<PhaseResult> {
  const agent = new HttpAgent({ keepAlive: true, maxSockets: 64 });
  const sentAt = new Map<string, number>();
  const pushMs: number[] = [];
  const onPush = (p: { message?: { text?: string } }) => {
    const at = sentAt.get(p.message?.text ?? '');
    if (at !== undefined) pushMs.push(performance.now() - at);
  };
  for (const s of listeners ?? []) s.on('message:created', onPush);
  const total = Math.round(o.rate * o.duration);
  const postMs: number[] = [];
  let failed = 0;
  const inFlight: Array<Promise<void>> = [];
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    const due = t0 + (i * 1000) / o.rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const text = `bench ${run} ${phase} ${i}`;
    const resident = i % 4 === 0 ? `new-${run}-${phase}-${i}` : `resident-${run}-${i % 500}`;
    const body = JSON.stringify({ externalId: `bench-${run}-${phase}-${i}`, from: { address: `${resident}@example.org` }, text });
    const begin = performance.now();
    sentAt.set(text, begin);
    inFlight.push(
      post(agent, port, token, body).then(
        (status) => {
          if (status === 201) postMs.push(performance.now() - begin);
          else failed++;
        },
        () => void failed++,
      ),
    );
  }
  await Promise.all(inFlight);
  const elapsedS = (performance.now() - t0) / 1000;
  const pushesExpected = (listeners?.length ?? 0) * postMs.length;
  // Pushes still on their way: give them a moment (reported as missing if they never come).
  for (let i = 0; i < 50 && pushMs.length < pushesExpected; i++) await new Promise((r) => setTimeout(r, 100));
  for (const s of listeners ?? []) s.off('message:created', onPush);
  agent.destroy();
  return { sent: total, acked: postMs.length, failed, postMs, pushMs, pushesExpected, elapsedS };
}

interface RaceResult {
  /** One agent claiming on their own, one claim after another (the same department listening). */
  soloMs: number[];
  claims: number;
  nothingLeft: number;
  errors: Map<string, number>;
  claimMs: number[];
  /** Per round, how long the load generator took to send its 200 commands (part of every racer's latency). */
  sendLoopMs: number[];
  doubleOwners: number;
  databaseDisagrees: number;
  /** One ack as the hub sent it: the floor's server answers with the same bytes. */
  sampleAck?: unknown;
}

/** How long the racers' sockets must have heard nothing before a round starts. */
const QUIET_MS = 250;

/**
 * Every racer sends case:claim-next at the same moment, `rounds` times over. Before each round the news of what
 * came before (each claim is news to the whole department) is let arrive, so a round starts on quiet sockets.
 */
async function claimRace(racers: Socket[], rounds: number, db: Client): Promise<RaceResult> {
  let assignedPushes = 0;
  for (const s of racers) s.on('case:assigned', () => void assignedPushes++);
  const soloMs: number[] = [];
  const soloOwned: string[] = [];
  for (let i = 0; i < 50; i++) {
    const begin = performance.now();
    const ack = (await racers[0].timeout(30_000).emitWithAck('case:claim-next', {})) as { ok: boolean; case?: { id: string } };
    soloMs.push(performance.now() - begin);
    if (ack.ok && ack.case) soloOwned.push(ack.case.id);
    if (soloOwned.length % 10 === 0) await Promise.all(soloOwned.splice(0).map((caseId) => racers[0].timeout(30_000).emitWithAck('case:status', { caseId, status: 'resolved' })));
  }
  for (let i = 0; i < 100 && assignedPushes < 50 * racers.length; i++) await new Promise((r) => setTimeout(r, 100));
  assignedPushes -= 50 * racers.length;
  // Any news at all (the solo claims' cases resolved make case:updated and sla:updated for the whole department,
  // which the count above does not wait for) marks the sockets busy: a round starts once none came for QUIET_MS.
  let lastNews = performance.now();
  for (const s of racers) s.onAny(() => void (lastNews = performance.now()));
  const untilQuiet = async () => {
    for (let i = 0; i < 100 && performance.now() - lastNews < QUIET_MS; i++) await new Promise((r) => setTimeout(r, 50));
  };
  const claimMs: number[] = [];
  const errors = new Map<string, number>();
  const owner = new Map<string, number>();
  let doubleOwners = 0;
  let nothingLeft = 0;
  let sampleAck: unknown;
  const sendLoopMs: number[] = [];
  for (let round = 0; round < rounds; round++) {
    await untilQuiet();
    await timedSendLoop(sendLoopMs, () =>
      racers.map(async (socket, agent) => {
        const begin = performance.now();
        const ack = (await socket.timeout(30_000).emitWithAck('case:claim-next', {})) as { ok: boolean; case?: { id: string }; error?: { code: string; message: string } };
        claimMs.push(performance.now() - begin);
        if (ack.ok && ack.case) {
          sampleAck = ack;
          if (owner.has(ack.case.id)) doubleOwners++;
          owner.set(ack.case.id, agent);
        } else if (ack.error?.message.startsWith('Nothing is waiting')) nothingLeft++;
        else errors.set(`${ack.error?.code}: ${ack.error?.message}`, (errors.get(`${ack.error?.code}: ${ack.error?.message}`) ?? 0) + 1);
      }),
    );
    for (let i = 0; i < 100 && assignedPushes < owner.size * racers.length; i++) await new Promise((r) => setTimeout(r, 100));
  }
  const agentIds = await Promise.all(racers.map(async (s) => (s as Socket & { agentId: string }).agentId));
  const rows = (await db.query(`SELECT id, assignee_id FROM "case" WHERE id = ANY($1::uuid[])`, [[...owner.keys()]])).rows as Array<{ id: string; assignee_id: string }>;
  const databaseDisagrees = rows.filter((r) => r.assignee_id !== agentIds[owner.get(r.id)!]).length + (owner.size - rows.length);
  return { soloMs, claims: owner.size, nothingLeft, errors, claimMs, sendLoopMs, doubleOwners, databaseDisagrees, sampleAck };
}

/**
 * The race's floors, measured in the same run: `case:claim-next` raced by as many sockets from this process, the same
 * way and as many rounds, against a stand-in server in its own process (as the hub is), answering with the bytes of
 * a real claim's ack:
 * - bare: socket.io acking at once. What 200 sockets racing cost on this machine before any claim is made.
 * - least claim: the least a claim can be. The commands of one turn become one UPDATE … FOR UPDATE SKIP LOCKED of a
 *   table with a primary key and one partial index of the waiting rows, committed on its own (one round trip, up to 4
 *   in flight), then acked. No framework, no capacity check, no audit, no case summary, no news.
 */
const FLOOR_SERVERS = {
  bare: (answer: string) => `
    const http = require('node:http').createServer();
    const io = new (require('socket.io').Server)(http);
    const answer = ${answer};
    io.of('/console').on('connection', (socket) => socket.on('case:claim-next', (_payload, ack) => ack(answer)));
    http.listen(0, '127.0.0.1', () => console.log(http.address().port));`,
  leastClaim: (answer: string, databaseUrl: string) => `
    const http = require('node:http').createServer();
    const io = new (require('socket.io').Server)(http);
    const pool = new (require('pg').Pool)({ connectionString: ${JSON.stringify(databaseUrl)}, max: 4 });
    const answer = ${answer};
    // The hub's own group commit: the commands of one turn together, up to 4 groups in flight.
    const { GroupQueue } = require('./dist/src/common/batch-loader');
    const claims = new GroupQueue(
      (group) => pool.query(
        'UPDATE floor_claim f SET owner = g.n FROM (SELECT id, row_number() OVER (ORDER BY id) AS n FROM ' +
        '(SELECT id FROM floor_claim WHERE owner IS NULL ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED) w) g WHERE f.id = g.id', [group.length],
      ).then(() => group.forEach((ack) => ack(answer)), (e) => (console.error(e.message), group.forEach((ack) => ack({ ok: false })))),
      { maxGroup: 256, maxRunning: 4 },
    );
    pool.query(
      'CREATE TABLE floor_claim (id serial PRIMARY KEY, owner int); CREATE INDEX ON floor_claim (id) WHERE owner IS NULL; ' +
      'INSERT INTO floor_claim (owner) SELECT NULL FROM generate_series(1, 100000); ANALYZE floor_claim').then(() => {
      io.of('/console').on('connection', (socket) => socket.on('case:claim-next', (_payload, ack) => claims.push(ack)));
      http.listen(0, '127.0.0.1', () => console.log(http.address().port));
    });`,
};

interface FloorResult {
  ackMs: number[];
  sendLoopMs: number[];
}

/**
 * Starts every racer's command in one synchronous loop and waits for all their acks; records how long the loop
 * itself took. The load generator is one process: the last racer's command leaves only after the others'.
 */
async function timedSendLoop(sendLoopMs: number[], sendAll: () => Array<Promise<void>>): Promise<void> {
  const begin = performance.now();
  const acks = sendAll();
  sendLoopMs.push(performance.now() - begin);
  await Promise.all(acks);
}

async function floorRace(racers: number, rounds: number, script: string): Promise<FloorResult> {
  const server = await startBareServer(script);
  const sockets: Socket[] = [];
  try {
    await Promise.all(
      Array.from(
        { length: racers },
        () =>
          new Promise<void>((resolve, reject) => {
            const socket = io(`http://127.0.0.1:${server.port}/console`, { transports: ['websocket'], reconnection: false, forceNew: true });
            sockets.push(socket);
            socket.once('connect', () => resolve());
            socket.once('connect_error', reject);
          }),
      ),
    );
    const ms: number[] = [];
    const sendLoopMs: number[] = [];
    // One round first, not counted: the hub's race came after 50 solo claims had warmed it.
    for (let round = -1; round < rounds; round++) {
      await new Promise((r) => setTimeout(r, QUIET_MS));
      await timedSendLoop(round >= 0 ? sendLoopMs : [], () =>
        sockets.map(async (socket) => {
          const begin = performance.now();
          const ack = (await socket.timeout(30_000).emitWithAck('case:claim-next', {})) as { ok: boolean };
          if (!ack.ok) throw new Error('the floor server failed a claim (see its output above)');
          if (round >= 0) ms.push(performance.now() - begin);
        }),
      );
    }
    return { ackMs: ms, sendLoopMs };
  } finally {
    for (const s of sockets) s.disconnect();
    server.stop();
  }
}

async function connectAll(hubUrl: string, agents: Array<{ id: string; token: string }>, all: Socket[]): Promise<Socket[]> {
  return Promise.all(
    agents.map(
      (a) =>
        new Promise<Socket>((resolve, reject) => {
          const socket = io(`${hubUrl}/console`, { auth: { token: a.token }, transports: ['websocket'], reconnection: false, forceNew: true });
          (socket as Socket & { agentId: string }).agentId = a.id;
          all.push(socket);
          socket.once('hello', () => resolve(socket));
          socket.once('connect_error', reject);
        }),
    ),
  );
}

function post(agent: HttpAgent, port: number, token: string, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, method: 'POST', path: '/channels/api/messages', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      },
    );
    req.setTimeout(30_000, () => req.destroy(new Error('no answer in 30 s')));
    req.once('error', reject);
    req.end(body);
  });
}



function report(o: Options, quiet: PhaseResult, watched: PhaseResult, cpu: CpuUsage, race: RaceResult, floors: { bare: FloorResult; leastClaim: FloorResult }): void {
  const sorted = (xs: number[]) => Float64Array.from(xs).sort();
  const ms = (xs: number[], p: number) => (xs.length ? percentile(sorted(xs), p).toFixed(1) : '-').padStart(8);
  const row = (label: string, xs: number[], n: string) => console.log(`${label.padEnd(46)}${n.padStart(10)}${ms(xs, 50)}${ms(xs, 99)}${ms(xs, 100)}`);
  console.log(`\n${''.padEnd(46)}${'count'.padStart(10)}${'p50 ms'.padStart(8)}${'p99'.padStart(8)}${'max'.padStart(8)}`);
  row(`POST /channels/api/messages, no console`, quiet.postMs, `${quiet.acked}`);
  row(`POST /channels/api/messages, ${o.agents} agents listening`, watched.postMs, `${watched.acked}`);
  row(`POST sent → message:created at each agent`, watched.pushMs, `${watched.pushMs.length}`);
  row(`case:claim-next ack, one agent alone`, race.soloMs, `${race.soloMs.length}`);
  row(`case:claim-next ack, ${o.racers} agents racing`, race.claimMs, `${race.claimMs.length}`);
  row(`floor: bare socket.io ack, ${o.racers} racing`, floors.bare.ackMs, `${floors.bare.ackMs.length}`);
  row(`floor: least claim (one UPDATE+commit), ${o.racers}`, floors.leastClaim.ackMs, `${floors.leastClaim.ackMs.length}`);
  row(`load generator's loop sending ${o.racers} claims`, [...race.sendLoopMs, ...floors.bare.sendLoopMs, ...floors.leastClaim.sendLoopMs], `${o.rounds * 3} loops`);
  console.log(`achieved rate: ${(quiet.acked / quiet.elapsedS).toFixed(0)} and ${(watched.acked / watched.elapsedS).toFixed(0)} messages/s (target ${o.rate}); failed POSTs: ${quiet.failed + watched.failed}`);
  console.log(`pushes received ${watched.pushMs.length} of ${watched.pushesExpected} expected (${watched.pushesExpected - watched.pushMs.length} missing)`);
  console.log(`CPU while ${o.agents} agents listened (cores of ${cpu.cores}): machine ${cpu.busy.toFixed(2)}, hub ${cpu.process.toFixed(2)}, load generator and sockets ${cpu.self.toFixed(2)}`);
  console.log(`claim race: ${race.claims} cases claimed in ${o.rounds} round(s) of ${o.racers}; "nothing waiting" ${race.nothingLeft}; double owners ${race.doubleOwners}; acks the database disagrees with ${race.databaseDisagrees}`);
  for (const [reason, n] of race.errors) console.log(`  claim error: ${reason} × ${n}`);
  const pushP99 = watched.pushMs.length ? percentile(sorted(watched.pushMs), 99) : Infinity;
  const claimP99 = race.claimMs.length ? percentile(sorted(race.claimMs), 99) : Infinity;
  const p99 = (xs: number[]) => (xs.length ? percentile(sorted(xs), 99) : NaN);
  console.log(
    `claim p99 above the floors of the same run: ${(claimP99 - p99(floors.bare.ackMs)).toFixed(1)} ms above the bare sockets, ` +
      `${(claimP99 - p99(floors.leastClaim.ackMs)).toFixed(1)} ms above the least claim (one grouped UPDATE and its commit, nothing else)`,
  );
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log(`\ntargets: push p99 < 300 ms ${verdict(pushP99 < 300)}; claim p99 < 20 ms ${verdict(claimP99 < 20)}; zero double owners ${verdict(race.doubleOwners === 0 && race.databaseDisagrees === 0)}`);
}

function options(): Options {

  return {
    rate: Math.max(1, numberFlag('rate', 200)),
    duration: Math.min(120, Math.max(1, numberFlag('duration', 10))),
    agents: Math.max(1, Math.floor(numberFlag('agents', 50))),
    racers: Math.max(1, Math.floor(numberFlag('racers', 200))),
    rounds: Math.max(1, Math.floor(numberFlag('rounds', 3))),
    redis: booleanFlag('redis'),
  };
}

runBench(main);
