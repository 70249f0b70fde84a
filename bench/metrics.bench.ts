/**
 * The supervisor's live snapshot on a big database, beside a naive GROUP BY over the same tables.
 *
 *   npm run bench:metrics [-- --cases 1000000 --messages-per-case 10 --runs 200 --naive-runs 5 --keep]
 *
 * (each flag also as env: BENCH_CASES, BENCH_MESSAGES_PER_CASE, BENCH_RUNS, BENCH_NAIVE_RUNS; --keep leaves the
 * database for a look with psql.)
 *
 * 1. A fresh database (CREATE DATABASE, migrations), seeded with generate_series: the catalogue's departments with
 *    their answer targets, 60 agents, 10,000 residents, N cases spread evenly over the last 365 days (statuses by
 *    age: about 3 % still open, the long tail of an old backlog included; first responses, web chat abandons) and
 *    M messages per case; then VACUUM ANALYZE, as autovacuum would have done on a live hub.
 * 2. The live snapshot as the hub computes it (SupervisorMetricsService.liveFor: one statement, then the JavaScript
 *    that shapes it) for two scopes at once (every department, and two departments), `runs` times: p50, p95, max.
 * 3. Baselines, same tables, same run:
 *    a. naive-case: the same figures as one GROUP BY department, channel over the whole case table (no use of the
 *       partial index or of the created_at range);
 *    b. naive-message: as a report is often first written, first responses found in the message table
 *       (min(created_at) of outbound messages per case) joined to every case.
 * It prints figures and asserts nothing; the database is dropped at the end unless --keep. Loopback only.
 */
import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { DataSource } from 'typeorm';
import { CouncilConfig } from '../src/config/council-config';
import { createDataSource } from '../src/database/data-source';
import type { Db } from '../src/database/db';
import type { DepartmentsService } from '../src/departments/departments.service';
import { SlaConfig } from '../src/sla/sla-config';
import { SupervisorMetricsRepository } from '../src/supervisor/supervisor-metrics.repository';
import { SupervisorMetricsService } from '../src/supervisor/supervisor-metrics.service';
import { adminQuery, databaseUrl, ensureServicesRunning, PG_ADMIN_URL } from '../test/support/services';
import { percentile } from './support/load';
import { numberFlag, runBench } from './support/setup';

interface Options {
  cases: number;
  messagesPerCase: number;
  runs: number;
  naiveRuns: number;
  keep: boolean;
}

const CHUNK = 100_000;

async function main(): Promise<void> {
  const o = options();
  const dbName = `hub_bench_metrics_${randomBytes(3).toString('hex')}`;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(new URL(PG_ADMIN_URL).hostname)) throw new Error(`only a loopback PostgreSQL: ${PG_ADMIN_URL}`);
  ensureServicesRunning();
  let ds: DataSource | undefined;
  const cleanup = async () => {
    await ds?.destroy().catch(() => undefined);
    if (o.keep) console.log(`database kept: ${databaseUrl(dbName)}`);
    else await adminQuery(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    await adminQuery(`CREATE DATABASE ${dbName}`);
    await adminQuery(`ALTER DATABASE ${dbName} SET synchronous_commit = off`); // seeding speed; reads do not care
    ds = await createDataSource(databaseUrl(dbName), 2).initialize();
    await ds.runMigrations({ transaction: 'each' });
    const council = CouncilConfig.load('config');
    const departments = await seed(ds, council, o);
    const service = new SupervisorMetricsService(
      new SupervisorMetricsRepository({ manager: ds.manager } as Db),
      { list: async () => departments } as unknown as DepartmentsService,
      SlaConfig.load('config', council),
    );
    const all = departments.map((d) => d.id);
    const scopes = [all, all.slice(0, 2)];

    const [snapshot] = await service.liveFor(scopes);
    console.log(
      `snapshot now: ${snapshot.totals.waiting} waiting, ${snapshot.totals.inProgress} in progress, ${snapshot.totals.pendingOnResident} pending; ` +
        `today ${snapshot.totals.offeredToday} offered, service level ${fmtRatio(snapshot.totals.serviceLevel)}, p90 ${snapshot.totals.firstResponseSeconds.p90} s; ` +
        `backlog ${JSON.stringify(snapshot.totals.backlogAgeBands)}`,
    );
    await explain(ds, service, scopes);

    console.log(`load average before timing: ${loadavg().map((l) => l.toFixed(2)).join(' ')} on ${cpus().length} cores`);
    const live = await time(o.runs, () => service.liveFor(scopes));
    const naiveCase = await time(o.naiveRuns, () => ds!.query(NAIVE_CASE));
    const naiveMessage = await time(o.naiveRuns, () => ds!.query(NAIVE_MESSAGE));

    console.log(`\nlive snapshot (2 scopes, one statement + shaping), ${o.runs} runs: ${fmt(live)}`);
    console.log(`naive-case GROUP BY over "case", ${o.naiveRuns} runs:            ${fmt(naiveCase)}`);
    console.log(`naive-message GROUP BY with message join, ${o.naiveRuns} runs:    ${fmt(naiveMessage)}`);
    console.log(
      `ratio (p50): naive-case / live = ${(percentile(naiveCase, 50) / percentile(live, 50)).toFixed(1)}×, ` +
        `naive-message / live = ${(percentile(naiveMessage, 50) / percentile(live, 50)).toFixed(1)}×`,
    );
    console.log(`target p95 < 50 ms: ${percentile(live, 95) < 50 ? 'met' : 'NOT met'}; load average after: ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  } finally {
    await cleanup();
  }
}

/** Departments, agents, residents, inboxes, cases and messages, all in SQL. Returns the departments. */
async function seed(ds: DataSource, council: CouncilConfig, o: Options): Promise<Array<{ id: string; slug: string; name: string }>> {
  const t0 = performance.now();
  for (const d of council.departments) {
    await ds.query(`INSERT INTO department (slug, name, answer_target_seconds) VALUES ($1, $2, $3)`, [d.slug, d.name, d.answerTargetSeconds]);
  }
  const departments: Array<{ id: string; slug: string; name: string }> = await ds.query(`SELECT id, slug, name FROM department ORDER BY slug`);
  await ds.query(`INSERT INTO inbox (channel, name, department_id, token_hash, secret) SELECT 'api', 'Bench ' || slug, id, 'bench-' || slug, 's' FROM department`);
  await ds.query(`INSERT INTO resident (name) SELECT 'Resident ' || g FROM generate_series(1, 10000) g`);
  await ds.query(
    `INSERT INTO agent (email, name, role, password_hash, presence, capacity)
     SELECT 'agent' || g || '@bench.test', 'Agent ' || g, 'agent', 'x', (ARRAY['available','busy','away','offline'])[1 + g % 4], 5
     FROM generate_series(1, 60) g`,
  );
  await ds.query(
    `INSERT INTO agent_department (agent_id, department_id)
     SELECT a.id, d.id FROM (SELECT id, row_number() OVER (ORDER BY email) AS n FROM agent) a
     JOIN (SELECT id, row_number() OVER (ORDER BY slug) AS n FROM department) d ON d.n = 1 + a.n % ${departments.length}`,
  );
  for (let from = 1; from <= o.cases; from += CHUNK) {
    await ds.query(SEED_CASES, [from, Math.min(o.cases, from + CHUNK - 1), o.cases]);
    process.stdout.write(`\rcases: ${Math.min(o.cases, from + CHUNK - 1).toLocaleString('en-GB')}`);
  }
  console.log(` (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  const t1 = performance.now();
  for (let from = 1; from <= o.cases; from += CHUNK) {
    await ds.query(SEED_MESSAGES, [`B-${pad(from)}`, `B-${pad(Math.min(o.cases, from + CHUNK - 1))}`, o.messagesPerCase]);
    process.stdout.write(`\rmessages: ${(Math.min(o.cases, from + CHUNK - 1) * o.messagesPerCase).toLocaleString('en-GB')}`);
  }
  console.log(` (${((performance.now() - t1) / 1000).toFixed(0)} s)`);
  const t2 = performance.now();
  await ds.query(`VACUUM ANALYZE "case"`);
  await ds.query(`VACUUM ANALYZE message`);
  const [sizes] = await ds.query(
    `SELECT (SELECT count(*) FROM "case")::int AS cases, (SELECT count(*) FROM message)::int AS messages,
            (SELECT count(*) FROM "case" WHERE status IN ('new','open','pending'))::int AS open,
            pg_size_pretty(pg_total_relation_size('"case"')) AS case_size, pg_size_pretty(pg_total_relation_size('message')) AS message_size`,
  );
  console.log(`vacuum analyze ${((performance.now() - t2) / 1000).toFixed(0)} s; ${JSON.stringify(sizes)}`);
  return departments;
}

function pad(n: number): string {
  return String(n).padStart(8, '0');
}

/**
 * Cases $1..$2 of $3, the newest last, evenly over 365 days up to now. Status by age: today's mix, a fifth still
 * open in the last fortnight, 2 % of older ones (the old backlog). 90 % answered within 0–15 minutes; 5 % of web
 * chats abandoned (a fifth of them within 5 s).
 */
const SEED_CASES = `
  WITH ids AS (
    SELECT (SELECT array_agg(id ORDER BY slug) FROM department) AS deps,
           (SELECT array_agg(i.id ORDER BY d.slug) FROM inbox i JOIN department d ON d.id = i.department_id) AS inboxes,
           (SELECT array_agg(id) FROM resident) AS residents,
           (SELECT array_agg(id ORDER BY email) FROM agent) AS agents
  ),
  g AS (
    SELECT g, now() - make_interval(secs => ($3 - g)::float8 / $3 * 365 * 86400) AS created_at,
           ($3 - g)::float8 / $3 * 365 AS age_days, random() AS r1, random() AS r2, random() AS r3
    FROM generate_series($1::int, $2::int) g
  ),
  s AS (
    SELECT g.*, (ARRAY['webchat','sms','email','whatsapp','api'])[1 + g % 5] AS channel, 1 + g % 6 AS dep,
           CASE
             WHEN age_days < 1 THEN (ARRAY['new','open','pending','resolved','resolved'])[1 + floor(r1 * 5)::int]
             WHEN age_days < 14 AND r1 < 0.2 THEN (ARRAY['new','open','pending'])[1 + floor(r2 * 3)::int]
             WHEN r1 < 0.02 THEN (ARRAY['new','open','open','pending'])[1 + floor(r2 * 4)::int]
             WHEN r1 < 0.9 THEN 'resolved' ELSE 'closed' END AS status
    FROM g
  )
  INSERT INTO "case" (reference, status, resident_id, inbox_id, channel, department_id, assignee_id, created_at, first_response_at, abandoned_at, resolved_at)
  SELECT 'B-' || lpad(s.g::text, 8, '0'), s.status, ids.residents[1 + s.g % 10000], ids.inboxes[s.dep], s.channel, ids.deps[s.dep],
         CASE WHEN s.status = 'new' AND s.r3 > 0.1 THEN NULL ELSE ids.agents[1 + s.g % 60] END,
         s.created_at,
         CASE WHEN s.status = 'new' OR s.r3 > 0.9 THEN NULL ELSE s.created_at + make_interval(secs => s.r2 * 900) END,
         CASE WHEN s.channel = 'webchat' AND s.r3 > 0.95 THEN s.created_at + make_interval(secs => CASE WHEN s.r1 < 0.2 THEN 3 ELSE 40 END) END,
         CASE WHEN s.status = 'resolved' THEN s.created_at + interval '2 hours' END
  FROM s CROSS JOIN ids`;

/** Messages for the cases with references in [$1, $2]: alternately inbound and outbound, a minute apart. */
const SEED_MESSAGES = `
  INSERT INTO message (case_id, direction, channel, text, delivery_status, created_at, updated_at)
  SELECT c.id, CASE WHEN k % 2 = 1 THEN 'inbound' ELSE 'outbound' END, c.channel, 'Message ' || k || ' about the case',
         CASE WHEN k % 2 = 0 THEN 'delivered' END, c.created_at + make_interval(mins => k), c.created_at + make_interval(mins => k)
  FROM "case" c CROSS JOIN generate_series(1, $3::int) k
  WHERE c.reference BETWEEN $1 AND $2`;

/** Baseline a: the same figures, one GROUP BY over every case (London "today" and 5 s abandons as in the hub). */
const NAIVE_CASE = `
  SELECT c.department_id, c.channel,
    count(*) FILTER (WHERE c.status = 'new' AND c.assignee_id IS NULL) AS waiting,
    max(now() - c.created_at) FILTER (WHERE c.status = 'new' AND c.assignee_id IS NULL) AS longest_wait,
    count(*) FILTER (WHERE c.status = 'open' OR (c.status = 'new' AND c.assignee_id IS NOT NULL)) AS in_progress,
    count(*) FILTER (WHERE c.status = 'pending') AS pending,
    count(*) FILTER (WHERE c.created_at >= date_trunc('day', now(), 'Europe/London')
                     AND NOT (c.abandoned_at IS NOT NULL AND c.abandoned_at - c.created_at < interval '5 seconds')) AS offered,
    count(*) FILTER (WHERE c.created_at >= date_trunc('day', now(), 'Europe/London') AND c.first_response_at - c.created_at <= make_interval(secs => d.answer_target_seconds)) AS within,
    avg(c.first_response_at - c.created_at) FILTER (WHERE c.created_at >= date_trunc('day', now(), 'Europe/London')) AS asa,
    percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM c.first_response_at - c.created_at)) FILTER (WHERE c.created_at >= date_trunc('day', now(), 'Europe/London')) AS p90,
    count(*) FILTER (WHERE c.status IN ('new','open','pending') AND c.created_at < now() - interval '14 days') AS old_backlog
  FROM "case" c JOIN department d ON d.id = c.department_id
  GROUP BY c.department_id, c.channel`;

/** Baseline b: first responses from the message table, as a report is often first written. */
const NAIVE_MESSAGE = `
  SELECT c.department_id, c.channel,
    count(*) FILTER (WHERE c.status = 'new' AND c.assignee_id IS NULL) AS waiting,
    count(*) FILTER (WHERE c.created_at >= date_trunc('day', now(), 'Europe/London')) AS offered,
    count(*) FILTER (WHERE c.created_at >= date_trunc('day', now(), 'Europe/London') AND fr.first_response - c.created_at <= make_interval(secs => d.answer_target_seconds)) AS within,
    avg(fr.first_response - c.created_at) FILTER (WHERE c.created_at >= date_trunc('day', now(), 'Europe/London')) AS asa
  FROM "case" c JOIN department d ON d.id = c.department_id
  LEFT JOIN (SELECT case_id, min(created_at) AS first_response FROM message WHERE direction = 'outbound' GROUP BY case_id) fr ON fr.case_id = c.id
  GROUP BY c.department_id, c.channel`;

async function explain(ds: DataSource, service: SupervisorMetricsService, scopes: string[][]): Promise<void> {
  // The plan of the live statement, as the repository sends it (captured through a one-off query hook).
  const manager = ds.manager;
  const original = manager.query.bind(manager);
  let captured: { sql: string; params: unknown[] } | undefined;
  (manager as { query: unknown }).query = async (sql: string, params: unknown[]) => {
    captured = { sql, params };
    return original(sql, params);
  };
  await service.liveFor(scopes);
  (manager as { query: unknown }).query = original;
  if (!captured) return;
  const plan: Array<{ 'QUERY PLAN': string }> = await ds.query(`EXPLAIN (ANALYZE, BUFFERS) ${captured.sql}`, captured.params);
  const lines = plan.map((r) => r['QUERY PLAN']);
  const scans = lines.filter((l) => /Scan/.test(l)).map((l) => l.trim().replace(/\s+\(cost.*$/, '').replace(/^->\s*/, ''));
  console.log(`plan: ${[...new Set(scans)].join('; ')}`);
  console.log(lines.filter((l) => /Execution Time|Planning Time/.test(l)).join('; '));
  if (lines.some((l) => /on message/.test(l))) console.log('WARNING: the live statement reads the message table');
}

async function time(runs: number, work: () => Promise<unknown>): Promise<Float64Array> {
  const ms = new Float64Array(runs);
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await work();
    ms[i] = performance.now() - t;
  }
  return ms.sort();
}

function fmt(ms: Float64Array): string {
  return `p50 ${percentile(ms, 50).toFixed(1)} ms, p95 ${percentile(ms, 95).toFixed(1)} ms, max ${percentile(ms, 100).toFixed(1)} ms`;
}

function fmtRatio(v: number | null): string {
  return v === null ? '—' : `${(v * 100).toFixed(1)} %`;
}

function options(): Options {

  return {
    cases: Math.max(1000, Math.floor(numberFlag('cases', 1_000_000))),
    messagesPerCase: Math.max(0, Math.floor(numberFlag('messages-per-case', 10))),
    runs: Math.max(1, Math.floor(numberFlag('runs', 200))),
    naiveRuns: Math.max(1, Math.floor(numberFlag('naive-runs', 5))),
    keep: process.argv.includes('--keep') || process.env.BENCH_KEEP === '1',
  };
}

runBench(main);
