/**
 * Intake throughput and ack latency of the API channel, against what PostgreSQL itself does on this machine.
 *
 *   npm run bench:intake [-- --concurrency 32 --duration 10 --warmup 3 --residents 2000 --new-share 0.25]
 *
 * (each flag also as env: BENCH_CONCURRENCY, BENCH_DURATION, ...; the hub's own settings such as
 * DATABASE_POOL_SIZE or INTAKE_BATCH_MAX pass through the environment to it.)
 *
 * 1. A fresh database (CREATE DATABASE, migrations), synchronous_commit forced on for it.
 * 2. The built hub as a child process (node dist/src/main.js) on a free loopback port, an API inbox.
 * 3. C senders post messages for D seconds over keep-alive connections, each with a unique externalId, from a
 *    mix of new and returning residents (so some messages thread onto open cases): messages/s, ack latency.
 * 4. Baseline, hub stopped: C `pg` clients doing single-row INSERTs (each its own commit) for D seconds.
 * 5. For scale, the same senders against two servers that do no work, each in its own process: bare node:http (HTTP
 *    alone on this machine) and a bare Nest route (the hub's framework, Express underneath, one controller that
 *    answers 201); and the least intake (bare node:http and one grouped INSERT … ON CONFLICT per turn, committed
 *    before the 201s: durable and idempotent, nothing more). With the CPU each and its senders use per request, set
 *    against the CPU per message that ratio 1.0 would allow on this machine.
 * It prints figures and asserts nothing; the database is dropped at the end.
 *
 * The senders are plain keep-alive HTTP/1.1 connections over node:net (bench/support/http-client.ts), one request
 * at a time each, rather than fetch or node:http: load generator and hub share two cores, and on this machine
 * node:http's client cost 85–170 µs of CPU per request against 25–50 µs for the plain one. What the generator
 * burns is taken from the hub and would show up as a slower hub. The CPU each side used is printed.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { createApiInbox, HubProcess, startHubProcess } from '../test/support/hub-process';
import { adminQuery, ensureServicesRunning, PG_ADMIN_URL } from '../test/support/services';
import { HttpConnection } from './support/http-client';
import { createBenchDatabase, numberFlag, runBench, startBareServer } from './support/setup';
import { cpuSnapshot, CpuUsage, cpuUsageSince, drive, percentile, RunResult } from './support/load';

/** A load run and the CPU used during it. */
type Measured = { result: RunResult; cpu: CpuUsage };

interface Options {
  concurrency: number;
  duration: number;
  warmup: number;
  residents: number;
  newShare: number;
  maxRequests: number;
}

const TEXTS = [
  'My bin was not emptied this week',
  'There is a pothole outside number 12',
  'I want to pay council tax by direct debit',
  'The street light on our road is out',
  'Can I book a bulky waste collection for a sofa?',
  'Thanks, that is helpful',
  'We have damp and mould in the bedroom',
];

async function main(): Promise<void> {
  const o = options();
  const run = randomBytes(3).toString('hex');
  const dbName = `hub_bench_${run}`;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(PG_ADMIN_URL).hostname)) throw new Error(`only a loopback PostgreSQL: ${PG_ADMIN_URL}`);
  ensureServicesRunning();
  let hub: HubProcess | undefined;
  const cleanup = async () => {
    await hub?.kill();
    await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  };
  const watchdog = setTimeout(() => void cleanup().finally(() => (console.error('bench: out of time'), process.exit(2))), (o.warmup * 3 + o.duration * 3 + 180) * 1000);
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    const url = await createBenchDatabase(dbName, { synchronousCommit: 'on' });
    const settings = await databaseSettings(url);
    console.log(`database ${dbName}: synchronous_commit=${settings.synchronous_commit}, fsync=${settings.fsync}, PostgreSQL ${settings.server_version}`);
    console.log(`load: ${o.concurrency} concurrent senders, ${o.warmup} s warm-up, ${o.duration} s measured, ${o.residents} returning residents, ${o.newShare * 100}% new`);
    console.log(`hub: DATABASE_POOL_SIZE=${process.env.DATABASE_POOL_SIZE ?? 'default'}, INTAKE_BATCH_MAX=${process.env.INTAKE_BATCH_MAX ?? 'default'}`);

    // BENCH_HUB_NODE_OPTIONS: node options for the hub only, e.g. `--require ./profile-hook.js` to profile it.
    hub = await startHubProcess({ env: { DATABASE_URL: url, LOG_LEVEL: 'warn', NODE_OPTIONS: process.env.BENCH_HUB_NODE_OPTIONS ?? '' } });
    const db = new Client({ connectionString: url });
    await db.connect();
    const inbox = await createApiInbox(url, async (sql, params) => (await db.query(sql, params)).rows);
    console.log(`hub pid ${hub.pid} on ${hub.url}; inbox via ${inbox.via}`);

    const hubRun = await measureHub(hub, db, inbox.token, run, o);
    const [stored] = (await db.query(`SELECT count(*)::int AS messages, count(DISTINCT case_id)::int AS cases FROM message`)).rows;
    await db.end();
    await hub.stop();
    hub = undefined;

    const baseRun = await measureBaseline(url, o);
    const bare = await measureBare(o, BARE_HTTP);
    const nest = await measureBare(o, BARE_NEST);
    const least = await measureBare(o, leastIntake(url), url);
    report(o, hubRun, baseRun, stored, { bare, nest, least });
  } finally {
    clearTimeout(watchdog);
    await cleanup();
  }
}

interface HubRun {
  result: RunResult;
  cpu: CpuUsage;
  batches?: Histogram;
  database: DatabaseActivity;
  acked: number;
}

async function measureHub(hub: HubProcess, db: Client, token: string, run: string, o: Options): Promise<HubRun> {
  const port = Number(new URL(hub.url).port);
  const connections = Array.from({ length: o.concurrency }, () => new HttpConnection(port));
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const send = (phase: string) => async (worker: number, seq: number) => {
    const answer = await connections[worker].post('/channels/api/messages', headers, message(run, `${phase}-${worker}-${seq}`, o));
    return answer.status === 201 ? 'ok' : `HTTP ${answer.status}`;
  };
  const warm = await drive(o.concurrency, o.warmup, o.maxRequests, send('warm'));
  await settle();
  const before = await batchHistogram(hub.url);
  const stats0 = await databaseActivity(db);
  const cpu0 = cpuSnapshot(hub.pid, stats0.backends);
  const result = await drive(o.concurrency, o.duration, o.maxRequests, send('run'));
  const cpu = cpuUsageSince(cpu0);
  const after = await batchHistogram(hub.url);
  await settle();
  for (const c of connections) c.close();
  return { result, cpu, batches: after && before ? subtract(after, before) : after, database: since(await databaseActivity(db), stats0), acked: warm.ok + result.ok };
}

/** Backends report their statistics at most once a second; a short pause makes the counters current. */
const settle = () => new Promise((r) => setTimeout(r, 1500));

interface DatabaseActivity {
  commits: number;
  rollbacks: number;
  deadlocks: number;
  /** PostgreSQL backends serving this database (other than ours), for their CPU time. */
  backends: number[];
}

async function databaseActivity(db: Client): Promise<DatabaseActivity> {
  const [row] = (
    await db.query(
      `SELECT xact_commit::int AS commits, xact_rollback::int AS rollbacks, deadlocks::int AS deadlocks,
              ARRAY(SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()) AS backends
       FROM pg_stat_database WHERE datname = current_database()`,
    )
  ).rows;
  return row;
}

function since(a: DatabaseActivity, b: DatabaseActivity): DatabaseActivity {
  return { commits: a.commits - b.commits, rollbacks: a.rollbacks - b.rollbacks, deadlocks: a.deadlocks - b.deadlocks, backends: a.backends };
}

async function measureBaseline(url: string, o: Options): Promise<Measured> {
  const setup = new Client({ connectionString: url });
  await setup.connect();
  await setup.query(`CREATE TABLE bench_insert (id bigserial PRIMARY KEY, worker int NOT NULL, seq int NOT NULL, payload text NOT NULL, at timestamptz NOT NULL DEFAULT now())`);
  await setup.end();
  const clients = await Promise.all(Array.from({ length: o.concurrency }, async () => {
    const c = new Client({ connectionString: url });
    await c.connect();
    return c;
  }));
  // Autocommit: each INSERT is its own transaction, committed (and flushed) before the next one starts.
  const insert = (phase: number) => async (worker: number, seq: number) => {
    await clients[worker].query(`INSERT INTO bench_insert (worker, seq, payload) VALUES ($1, $2, $3)`, [worker, phase * 1e8 + seq, TEXTS[seq % TEXTS.length]]);
    return 'ok';
  };
  await drive(o.concurrency, o.warmup, o.maxRequests, insert(0));
  const pids = await Promise.all(clients.map(async (c) => (await c.query('SELECT pg_backend_pid() AS pid')).rows[0].pid as number));
  const cpu0 = cpuSnapshot(undefined, pids);
  const result = await drive(o.concurrency, o.duration, o.maxRequests, insert(1));
  const cpu = cpuUsageSince(cpu0);
  await Promise.all(clients.map((c) => c.end()));
  return { result, cpu };
}

/**
 * The same senders against a server in its own process that does no work (it parses the JSON and answers 201):
 * a ceiling for any service built that way on this machine, not a target.
 */
async function measureBare(o: Options, script: string, databaseUrl?: string): Promise<Measured> {
  const server = await startBareServer(script);
  try {
    const connections = Array.from({ length: o.concurrency }, () => new HttpConnection(server.port));
    const send = async (worker: number, seq: number) => {
      const answer = await connections[worker].post('/channels/api/messages', { 'content-type': 'application/json' }, message('bare', `${worker}-${seq}`, o));
      return answer.status === 201 ? 'ok' : `HTTP ${answer.status}`;
    };
    await drive(o.concurrency, Math.min(o.warmup, 1), o.maxRequests, send);
    const cpu0 = cpuSnapshot(server.pid, databaseUrl ? (await databaseActivityOf(databaseUrl)).backends : []);
    const result = await drive(o.concurrency, o.duration, o.maxRequests, send);
    const cpu = cpuUsageSince(cpu0);
    for (const c of connections) c.close();
    return { result, cpu };
  } finally {
    server.stop();
  }
}

const BARE_HTTP = `
  require('node:http').createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c)).on('end', () => {
      const body = JSON.stringify({ caseId: JSON.parse(Buffer.concat(chunks)).externalId, reference: 'C-2026-000001', messageId: '-' });
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
    });
  }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });`;

/** The hub's framework with nothing in it: one controller, Nest's default body parser, no guard, no pipe. */
const BARE_NEST = `
  require('reflect-metadata');
  const { NestFactory } = require('@nestjs/core');
  const { Body, Controller, HttpCode, Module, Post } = require('@nestjs/common');
  class Messages {
    create(body) { return { caseId: body.externalId, reference: 'C-2026-000001', messageId: '-' }; }
  }
  Reflect.decorate([Post('channels/api/messages'), HttpCode(201)], Messages.prototype, 'create', Object.getOwnPropertyDescriptor(Messages.prototype, 'create'));
  Body()(Messages.prototype, 'create', 0);
  Reflect.decorate([Controller()], Messages);
  class App {}
  Reflect.decorate([Module({ controllers: [Messages] })], App);
  NestFactory.create(App, { logger: false }).then(async (app) => {
    await app.listen(0, '127.0.0.1');
    console.log(app.getHttpServer().address().port);
  });`;

/**
 * The least a durable, idempotent intake can be: bare node:http, and the messages read in one turn written by one
 * INSERT … ON CONFLICT DO NOTHING into a table keyed on (channel, external id), committed on its own (one round trip,
 * up to 4 in flight) before each 201. No framework, no token, no resident, no case, no redaction, no triage, no event.
 */
function leastIntake(databaseUrl: string): string {
  return `
  const pool = new (require('pg').Pool)({ connectionString: ${JSON.stringify(databaseUrl)}, max: 4 });
  const answer = (res, status) => {
    const body = JSON.stringify({ caseId: '-', reference: 'C-2026-000001', messageId: '-' });
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
  };
  // The hub's own group commit: the messages of one turn together, up to 4 groups in flight.
  const { GroupQueue } = require('./dist/src/common/batch-loader');
  const writes = new GroupQueue(
    (group) => pool.query(
      "INSERT INTO least_message (channel, external_id, body) SELECT 'api', e, b FROM unnest($1::text[], $2::text[]) AS t(e, b) ON CONFLICT DO NOTHING",
      [group.map((m) => m.externalId), group.map((m) => m.text)],
    ).then(() => group.forEach((m) => answer(m.res, 201)), (e) => (console.error(e.message), group.forEach((m) => answer(m.res, 500)))),
    { maxGroup: 256, maxRunning: 4 },
  );
  pool.query('CREATE TABLE least_message (id bigserial PRIMARY KEY, channel text NOT NULL, external_id text NOT NULL, body text NOT NULL, ' +
    'created_at timestamptz NOT NULL DEFAULT now(), UNIQUE (channel, external_id))').then(() => {
    require('node:http').createServer((req, res) => {
      const chunks = [];
      req.on('data', (c) => chunks.push(c)).on('end', () => {
        const { externalId, text } = JSON.parse(Buffer.concat(chunks));
        writes.push({ externalId, text, res });
      });
    }).listen(0, '127.0.0.1', function () { console.log(this.address().port); });
  });`;
}

/** The PostgreSQL backends serving a database, for their CPU time. */
async function databaseActivityOf(url: string): Promise<DatabaseActivity> {
  const db = new Client({ connectionString: url });
  await db.connect();
  try {
    return await databaseActivity(db);
  } finally {
    await db.end();
  }
}

/** A resident's message: a quarter (by default) from someone new, the rest from a fixed set who write again. */
function message(run: string, id: string, o: Options): string {
  const returning = Math.random() >= o.newShare;
  const n = Math.floor(Math.random() * o.residents);
  const address = returning ? `resident-${run}-${n}@example.org` : `new-${run}-${id}@example.org`;
  const name = returning ? `Resident ${n}` : 'New Resident';
  return JSON.stringify({ externalId: `bench-${run}-${id}`, from: { address, name }, text: TEXTS[Math.floor(Math.random() * TEXTS.length)] });
}


async function databaseSettings(url: string): Promise<Record<string, string>> {
  const c = new Client({ connectionString: url });
  await c.connect();
  const out: Record<string, string> = {};
  for (const name of ['synchronous_commit', 'fsync', 'server_version']) out[name] = (await c.query(`SHOW ${name}`)).rows[0][name];
  await c.end();
  return out;
}

type Histogram = Map<string, number>; // upper bound ("le") → cumulative count, plus "sum" and "count"

async function batchHistogram(url: string): Promise<Histogram | undefined> {
  const res = await fetch(`${url}/metrics`).catch(() => undefined);
  if (!res?.ok) return undefined;
  const h: Histogram = new Map();
  for (const line of (await res.text()).split('\n')) {
    const m = /^hub_intake_batch_size_(bucket\{le="([^"]+)"\}|sum|count)\s+(\S+)/.exec(line);
    if (m) h.set(m[2] ?? m[1], Number(m[3]));
  }
  return h.size ? h : undefined;
}

function subtract(a: Histogram, b: Histogram): Histogram {
  return new Map([...a].map(([k, v]) => [k, v - (b.get(k) ?? 0)]));
}

function report(o: Options, hub: HubRun, base: Measured, stored: { messages: number; cases: number }, floors: { bare: Measured; nest: Measured; least: Measured }): void {
  const rate = (r: RunResult) => r.ok / (r.elapsedMs / 1000);
  const ms = (r: RunResult, p: number) => (percentile(r.latenciesUs, p) / 1000).toFixed(1).padStart(7);
  const row = (label: string, r: RunResult) =>
    `${label.padEnd(30)}${r.ok.toString().padStart(8)}${rate(r).toFixed(0).padStart(9)}${ms(r, 50)}${ms(r, 95)}${ms(r, 99)}${ms(r, 100)}${r.failed.toString().padStart(8)}`;
  const ratio = rate(hub.result) / rate(base.result);
  console.log(`\n${''.padEnd(30)}${'ok'.padStart(8)}${'per s'.padStart(9)}${'p50 ms'.padStart(7)}${'p95'.padStart(7)}${'p99'.padStart(7)}${'max'.padStart(7)}${'failed'.padStart(8)}`);
  console.log(row(`hub: POST /channels/api/messages`, hub.result));
  console.log(row(`baseline: pg INSERT+commit`, base.result));
  console.log(row(`bare node:http, no work`, floors.bare.result));
  console.log(row(`bare Nest route, no work`, floors.nest.result));
  console.log(row(`least intake, one INSERT`, floors.least.result));
  console.log(`ratio hub/baseline: ${ratio.toFixed(2)}   (${o.concurrency} concurrent, ${o.duration} s each)`);
  for (const [reason, n] of [...hub.result.errors, ...base.result.errors]) console.log(`  failure: ${reason} × ${n}`);
  console.log(`stored: ${stored.messages} messages on ${stored.cases} cases; acknowledged 201: ${hub.acked}`);
  const d = hub.database;
  // Every transaction of the hub's database counts here, intake's and any other (reads after events included).
  console.log(`hub run in PostgreSQL: ${d.commits} transactions committed, ${d.rollbacks} rolled back, ${d.deadlocks} deadlocks`);
  console.log(`CPU (cores of ${hub.cpu.cores}) hub run: ${cpuLine(hub.cpu, 'hub')}`);
  console.log(`CPU (cores of ${base.cpu.cores}) baseline: ${cpuLine(base.cpu)}`);
  // CPU per operation, from the cores used on average over the run.
  const usOf = (cores: number, r: RunResult) => (cores * r.elapsedMs * 1000) / Math.max(1, r.ok);
  const us = (cores: number, r: RunResult) => usOf(cores, r).toFixed(0);
  console.log(`CPU per message: hub ${us(hub.cpu.process, hub.result)} µs + PostgreSQL ${us(hub.cpu.backends, hub.result)} µs; per baseline INSERT: PostgreSQL ${us(base.cpu.backends, base.result)} µs`);
  // What ratio 1.0 asks of this machine, in CPU: every core busy, each message may cost no more than this, in all.
  const budgetUs = (base.cpu.cores * 1e6) / rate(base.result);
  const perRequest = (m: Measured) => usOf(m.cpu.process + m.cpu.backends + m.cpu.self, m.result);
  for (const [label, m] of [['bare node:http', floors.bare], ['bare Nest route', floors.nest], ['least intake', floors.least]] as const) {
    const pg = m === floors.least ? ` + PostgreSQL ${us(m.cpu.backends, m.result)} µs` : '';
    console.log(`CPU per request, ${label}: server ${us(m.cpu.process, m.result)} µs${pg} + load generator ${us(m.cpu.self, m.result)} µs`);
  }
  const left = (m: Measured) => `${perRequest(m).toFixed(0)} µs (${(budgetUs - perRequest(m)).toFixed(0)} µs left)`;
  console.log(
    `ratio 1.0 asks for ${rate(base.result).toFixed(0)} messages/s: at most ${budgetUs.toFixed(0)} µs of CPU per message, in all, on ${base.cpu.cores} cores. ` +
      `Of that, with their senders: bare node:http ${left(floors.bare)}; a bare Nest route ${left(floors.nest)}; the least intake ${left(floors.least)}`,
  );
  printBatches(hub.batches);
  const p99 = percentile(hub.result.latenciesUs, 99) / 1000;
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  console.log(`\ntargets: ≥ 1,000 messages/s ${verdict(rate(hub.result) >= 1000)}; p99 ack < 50 ms ${verdict(p99 < 50)}; ratio ≥ 1.0 ${verdict(ratio >= 1)}`);
}

function cpuLine(c: CpuUsage, process?: string): string {
  const parts = [`machine busy ${c.busy.toFixed(2)} (iowait ${c.iowait.toFixed(2)})`];
  if (process) parts.push(`${process} ${c.process.toFixed(2)}`);
  parts.push(`load generator ${c.self.toFixed(2)}`, `PostgreSQL backends ${c.backends.toFixed(2)}`);
  parts.push(`everything else (other processes, WAL writer, kernel) ${(c.busy - c.process - c.self - c.backends).toFixed(2)}`);
  return parts.join(', ');
}

function printBatches(h: Histogram | undefined): void {
  if (!h) return console.log('intake batch sizes: GET /metrics has no hub_intake_batch_size');
  const count = h.get('count') ?? 0;
  console.log(`intake batch sizes during the measured run: ${count} transactions, mean ${(count ? (h.get('sum') ?? 0) / count : 0).toFixed(1)} messages`);
  let previous = 0;
  let lower = 0;
  for (const [le, cumulative] of h) {
    if (le === 'sum' || le === 'count') continue;
    const n = cumulative - previous;
    previous = cumulative;
    if (n > 0) console.log(`  ${`${lower + 1}–${le}`.padStart(9)}: ${n.toString().padStart(6)}  ${'#'.repeat(Math.ceil((40 * n) / Math.max(1, count)))}`);
    lower = le === '+Inf' ? lower : Number(le);
  }
}

function options(): Options {

  return {
    concurrency: Math.max(1, Math.floor(numberFlag('concurrency', 32))),
    duration: Math.min(600, numberFlag('duration', 10)),
    warmup: Math.min(60, numberFlag('warmup', 3)),
    residents: Math.max(1, Math.floor(numberFlag('residents', 2000))),
    newShare: Math.min(1, numberFlag('new-share', 0.25)),
    maxRequests: Math.floor(numberFlag('max-requests', 1_000_000)),
  };
}

runBench(main);
