import { AgentRole } from '../src/common/enum';
import { CouncilConfig } from '../src/config/council-config';
import { SlaConfig } from '../src/sla/sla-config';
import { History, HistoryRow, Kpis, LiveSnapshot } from '../src/supervisor/kpi-definitions';
import { SupervisorMetricsService } from '../src/supervisor/supervisor-metrics.service';
import { startTestApp, TestApp } from './support/app';
import { givenAgent } from './support/given';

/**
 * The KPI oracle: a synthetic day of cases written straight into the database at chosen times, then every tile of
 * the live snapshot and the history compared with a naive recomputation in JavaScript from the raw rows (a loop per
 * figure, straight from the wording of docs/metrics.md). Zero mismatches allowed.
 */

const DAY = '2026-11-25'; // a Wednesday; the weekend of 21–22 November lies inside the backlog
const DAY_START = Date.parse(`${DAY}T00:00:00Z`); // London is on GMT in November
const AT = new Date(`${DAY}T16:30:00.000Z`);
const CHANNELS = ['webchat', 'sms', 'email', 'whatsapp', 'api'];
const PRESENCES = ['available', 'busy', 'away', 'offline'];
const TARGETS: Record<string, number> = { waste: 300, 'council-tax': 300, housing: 240, highways: 600, 'adult-social-care': 120, 'customer-services': 180 };

interface CaseRow {
  id: string;
  department_id: string;
  channel: string;
  status: string;
  assignee_id: string | null;
  created_at: Date;
  first_response_at: Date | null;
  abandoned_at: Date | null;
}

interface Department {
  id: string;
  slug: string;
  name: string;
  answer_target_seconds: number;
}

interface AgentRow {
  id: string;
  name: string;
  role: string;
  presence: string;
  capacity: number;
  active: boolean;
  department_ids: string[];
}

describe('Supervisor metrics: the KPI oracle', () => {
  let t: TestApp;
  let departments: Department[];
  let supervisor: Awaited<ReturnType<typeof givenAgent>>;
  let admin: Awaited<ReturnType<typeof givenAgent>>;
  let cases: CaseRow[];
  let agents: AgentRow[];
  const stats = { today: 0, abandonedShort: 0, transferred: 0 };

  beforeAll(async () => {
    t = await startTestApp();
    departments = await t.db.query<Department>(`SELECT id, slug, name, answer_target_seconds FROM department ORDER BY slug`);
    expect(Object.fromEntries(departments.map((d) => [d.slug, d.answer_target_seconds]))).toEqual(TARGETS); // from config/catalogue.yaml
    supervisor = await givenAgent(t, { role: AgentRole.Supervisor, departments: ['housing', 'waste'], name: 'Sue Pervisor' });
    admin = await givenAgent(t, { role: AgentRole.Admin, name: 'Ada Admin' });
    await replaySyntheticDay();
    cases = await t.db.query<CaseRow>(`SELECT id, department_id, channel, status, assignee_id, created_at, first_response_at, abandoned_at FROM "case"`);
    agents = await t.db.query<AgentRow>(
      `SELECT a.id, a.name, a.role, a.presence, a.capacity, a.active,
              array(SELECT department_id::text FROM agent_department WHERE agent_id = a.id ORDER BY 1) AS department_ids
       FROM agent a`,
    );
  }, 120_000);

  afterAll(async () => {
    await t?.close();
  });

  it('replays a day with thousands of cases, answers, abandons (some within 5 s), transfers, pending cases and night arrivals', () => {
    expect(cases.length).toBeGreaterThan(4000);
    expect(stats.today).toBeGreaterThan(2500);
    expect(stats.abandonedShort).toBeGreaterThan(30);
    expect(stats.transferred).toBeGreaterThan(100);
    expect(cases.filter((c) => c.status === 'pending').length).toBeGreaterThan(100);
    expect(cases.filter((c) => c.created_at.getTime() >= DAY_START && c.created_at.getTime() < DAY_START + 8 * 3_600_000).length).toBeGreaterThan(300);
  });

  it('matches every tile of the admin’s snapshot (every department) at the end of the day', async () => {
    const scope = departments.map((d) => d.id);
    const actual = await t.get(SupervisorMetricsService).live(admin.agent as never, AT);
    expect(mismatches(normalise(actual), normalise(oracleSnapshot(AT, scope)))).toEqual([]);
    expect(actual.totals.offeredToday).toBeGreaterThan(2000);
    expect(actual.totals.abandonedUnder5sToday).toBeGreaterThan(0);
    expect(actual.totals.waiting).toBeGreaterThan(0);
  });

  it('matches every tile of a supervisor’s snapshot, scoped to their two departments', async () => {
    const scope = departments.filter((d) => ['housing', 'waste'].includes(d.slug)).map((d) => d.id);
    const actual = await t.get(SupervisorMetricsService).live(supervisor.agent as never, AT);
    expect(actual.departments.map((d) => d.slug).sort()).toEqual(['housing', 'waste']);
    expect(mismatches(normalise(actual), normalise(oracleSnapshot(AT, scope)))).toEqual([]);
  });

  it('matches every tile on the Monday after, when the backlog has aged across a weekend', async () => {
    const monday = new Date('2026-11-30T09:00:00.000Z');
    const actual = await t.get(SupervisorMetricsService).live(admin.agent as never, monday);
    expect(mismatches(normalise(actual), normalise(oracleSnapshot(monday, departments.map((d) => d.id))))).toEqual([]);
    expect(actual.totals.backlogAgeBands.oneToThreeDays).toBeGreaterThan(0);
    expect(actual.totals.backlogAgeBands.threeToTenDays).toBeGreaterThan(0);
  });

  it('matches the live snapshot served over HTTP right now', async () => {
    const res = await fetch(`${t.url}/api/v1/metrics/live`, { headers: { authorization: `Bearer ${admin.token}` } });
    expect(res.status).toBe(200);
    const actual = (await res.json()) as LiveSnapshot;
    expect(mismatches(normalise(actual), normalise(oracleSnapshot(new Date(actual.at), departments.map((d) => d.id))))).toEqual([]);
    expect(actual.totals.offeredToday + actual.totals.abandonedUnder5sToday).toBeGreaterThan(0);
  });

  it.each(['15m', 'hour', 'day'] as const)('matches the history in %s buckets, over JSON and CSV', async (bucket) => {
    const from = new Date(DAY_START - 2 * 86_400_000);
    const to = new Date(DAY_START + 86_400_000);
    const query = `from=${from.toISOString()}&to=${to.toISOString()}&bucket=${bucket}`;
    const res = await fetch(`${t.url}/api/v1/metrics/history?${query}`, { headers: { authorization: `Bearer ${admin.token}` } });
    expect(res.status).toBe(200);
    const history = (await res.json()) as History;
    const expected = oracleHistory(from, to, bucket);
    expect(history.rows.length).toBe(expected.length);
    expect(mismatches(keyed(history.rows), keyed(expected))).toEqual([]);
    expect(history.rows.reduce((n, r) => n + r.offered + r.abandonedUnder5s, 0)).toBe(cases.filter((c) => inRange(c.created_at, from, to)).length);

    const csv = await (await fetch(`${t.url}/api/v1/metrics/history?${query}&format=csv`, { headers: { authorization: `Bearer ${admin.token}` } })).text();
    const [header, ...lines] = csv.trimEnd().split('\r\n');
    expect(header.split(',')).toEqual(Object.keys(expected[0]));
    const parsed = lines.map((l) => Object.fromEntries(l.split(',').map((v, i) => [header.split(',')[i], v === '' ? null : /^[\d.]+$/.test(v) ? Number(v) : v]))) as unknown as HistoryRow[];
    expect(mismatches(keyed(parsed), keyed(expected))).toEqual([]);
  });

  // ---- the synthetic day ----

  async function replaySyntheticDay(): Promise<void> {
    const random = mulberry32(20261125);
    const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)];
    const [resident] = await t.db.query<{ id: string }>(`INSERT INTO resident (name) VALUES ('Synthetic') RETURNING id`);
    const inboxes = await t.db.query<{ id: string; department_id: string }>(
      `INSERT INTO inbox (channel, name, department_id, token_hash, secret)
       SELECT 'api', 'Oracle ' || slug, id, 'oracle-' || slug, 'secret' FROM department RETURNING id, department_id`,
    );
    const inboxOf = new Map(inboxes.map((i) => [i.department_id, i.id]));
    const staff = await t.db.query<{ id: string }>(
      `INSERT INTO agent (email, name, role, password_hash, presence, capacity, active)
       SELECT 'oracle' || n || '@council.test', 'Oracle agent ' || n, CASE WHEN n % 7 = 0 THEN 'supervisor' ELSE 'agent' END, 'x',
              (ARRAY['available','busy','away','offline'])[1 + n % 4], 2 + n % 5, n % 11 <> 10
       FROM generate_series(1, 24) n RETURNING id`,
    );
    for (const [i, a] of staff.entries()) {
      const own = [departments[i % departments.length].id, ...(i % 3 === 0 ? [departments[(i + 2) % departments.length].id] : [])];
      await t.db.query(`INSERT INTO agent_department (agent_id, department_id) SELECT $1, unnest($2::uuid[])`, [a.id, own]);
    }

    const rows: Array<Omit<CaseRow, 'id'> & { reference: string }> = [];
    const now = Date.now();
    const ms = (n: number) => new Date(n);
    for (let i = 0; i < 4600; i++) {
      const department = pick(departments);
      const target = department.answer_target_seconds * 1000;
      let channel = pick(CHANNELS);
      const r = random();
      // When: mostly on DAY (some at night), some on earlier days (backlog and history), some at edge instants, and
      // some in the last 30 hours of the real clock (after AT: left out of DAY's figures, in the HTTP snapshot's today).
      const created =
        r < 0.1 ? DAY_START + random() * 8 * 3_600_000
        : r < 0.62 ? DAY_START + 8 * 3_600_000 + random() * (AT.getTime() - DAY_START - 8 * 3_600_000)
        : r < 0.88 ? DAY_START - Math.ceil(random() * 25) * 86_400_000 + random() * 86_400_000
        : r < 0.9 ? pick([DAY_START, DAY_START - 1, AT.getTime(), AT.getTime() - 1, AT.getTime() + 1])
        : now - 1000 - random() * 30 * 3_600_000;
      const createdAt = Math.round(created);
      if (createdAt >= DAY_START && createdAt <= AT.getTime()) stats.today++;
      let status = 'new';
      let assignee: string | null = null;
      let response: number | null = null;
      let abandoned: number | null = null;
      const s = random();
      const delay = () => pick([target, target + 1, target - 1, random() * target, target + random() * 2 * target, 1000 + random() * 10 * target, 4000]);
      if (s < 0.14) {
        status = 'new'; // waiting
      } else if (s < 0.18) {
        status = 'new';
        assignee = pick(staff).id; // offered to an agent, not opened
      } else if (s < 0.3) {
        status = 'open';
        assignee = pick(staff).id;
        if (random() < 0.7) response = createdAt + delay();
      } else if (s < 0.4) {
        status = 'pending';
        assignee = random() < 0.9 ? pick(staff).id : null;
        response = createdAt + delay();
      } else if (s < 0.82) {
        status = random() < 0.85 ? 'resolved' : 'closed';
        assignee = pick(staff).id;
        response = random() < 0.95 ? createdAt + delay() : null;
      } else {
        channel = 'webchat';
        const left = pick([200, 1000, 4000, 4999, 5000, 5001, 12_000, 60_000, random() * 5000, random() * 900_000]);
        abandoned = createdAt + left;
        if (left < 5000) stats.abandonedShort++;
        status = pick(['new', 'resolved', 'closed']);
        const answeredWhen = random();
        if (answeredWhen < 0.2) response = createdAt + left * random(); // answered, then the resident left: not abandoned
        else if (answeredWhen < 0.35) response = abandoned + 1000 + random() * target; // answered too late
      }
      if (response !== null) response = Math.round(response);
      if (abandoned !== null) abandoned = Math.round(abandoned);
      rows.push({
        reference: `C-2026-${String(900_000 + i)}`,
        department_id: department.id,
        channel,
        status,
        assignee_id: assignee,
        created_at: ms(createdAt),
        first_response_at: response === null ? null : ms(response),
        abandoned_at: abandoned === null ? null : ms(abandoned),
      });
    }
    await t.db.query(
      `INSERT INTO "case" (reference, status, resident_id, inbox_id, channel, department_id, assignee_id, created_at, first_response_at, abandoned_at)
       SELECT v.reference, v.status, $1, (SELECT i FROM unnest($2::uuid[], $3::uuid[]) AS x(d, i) WHERE x.d = v.department_id),
              v.channel, v.department_id, v.assignee_id, v.created_at, v.first_response_at, v.abandoned_at
       FROM unnest($4::text[], $5::text[], $6::text[], $7::uuid[], $8::uuid[], $9::timestamptz[], $10::timestamptz[], $11::timestamptz[])
            AS v(reference, status, channel, department_id, assignee_id, created_at, first_response_at, abandoned_at)`,
      [
        resident.id,
        [...inboxOf.keys()],
        [...inboxOf.values()],
        rows.map((c) => c.reference),
        rows.map((c) => c.status),
        rows.map((c) => c.channel),
        rows.map((c) => c.department_id),
        rows.map((c) => c.assignee_id),
        rows.map((c) => c.created_at),
        rows.map((c) => c.first_response_at),
        rows.map((c) => c.abandoned_at),
      ],
    );
    // Transfers: about one case in twenty moved to another department after it arrived (the figures follow the case).
    const moved = await t.db.query(
      `UPDATE "case" c SET department_id = (SELECT id FROM department d WHERE d.id <> c.department_id ORDER BY md5(d.id::text || c.reference) LIMIT 1)
       WHERE c.reference LIKE 'C-2026-9%' AND md5(c.reference) < '0d' RETURNING c.id`,
    );
    stats.transferred = moved.length;
    // Pending periods that ended: cases that went pending and came back to open.
    await t.db.query(`UPDATE "case" SET status = 'pending' WHERE md5(reference || 'p') < '08' AND status = 'open'`);
    await t.db.query(`UPDATE "case" SET status = 'open' WHERE md5(reference || 'q') < '04' AND status = 'pending' AND assignee_id IS NOT NULL`);
    await t.db.query(`ANALYZE "case"`);
  }

  // ---- the naive recomputation, figure by figure ----

  function oracleSnapshot(at: Date, scope: string[]): LiveSnapshot {
    const dayStart = londonMidnight(at);
    const inScope = departments.filter((d) => scope.includes(d.id)).sort((a, b) => a.id.localeCompare(b.id));
    const staff = agents.filter((a) => a.active && a.department_ids.some((d) => scope.includes(d)));
    const agentsOut = staff.map((a) => ({
      id: a.id,
      name: a.name,
      role: a.role,
      presence: a.presence,
      capacity: a.capacity,
      load: cases.filter((c) => c.assignee_id === a.id && (c.status === 'open' || c.status === 'pending')).length,
      departmentIds: a.department_ids.filter((d) => scope.includes(d)),
    }));
    const kpisOf = (rows: CaseRow[], people: typeof agentsOut): Kpis => oracleKpis(rows, people, at, dayStart);
    const visible = cases.filter((c) => scope.includes(c.department_id) && c.created_at.getTime() <= at.getTime());
    return {
      at: at.toISOString(),
      workingDayStart: new Date(dayStart).toISOString(),
      totals: kpisOf(visible, agentsOut),
      departments: inScope.map((d) => {
        const mine = visible.filter((c) => c.department_id === d.id);
        const people = agentsOut.filter((a) => a.departmentIds.includes(d.id));
        const channels = [...new Set(mine.filter((c) => isOpen(c) || c.created_at.getTime() >= dayStart).map((c) => c.channel))].sort();
        return {
          departmentId: d.id,
          slug: d.slug,
          name: d.name,
          answerTargetSeconds: d.answer_target_seconds,
          totals: kpisOf(mine, people),
          channels: channels.map((channel) => ({ channel, kpis: kpisOf(mine.filter((c) => c.channel === channel), people) })),
        };
      }),
      agents: agentsOut,
    };
  }

  function oracleKpis(rows: CaseRow[], people: Array<{ presence: string }>, at: Date, dayStart: number): Kpis {
    const today = rows.filter((c) => c.created_at.getTime() >= dayStart);
    const period = periodFigures(today);
    const waiting = rows.filter((c) => c.status === 'new' && c.assignee_id === null);
    const open = rows.filter(isOpen);
    const age = (c: CaseRow) => workingDaysBetween(londonDate(c.created_at), londonDate(at), slugOf(c.department_id));
    return {
      waiting: waiting.length,
      longestWaitSeconds: waiting.length ? Math.max(...waiting.map((c) => (at.getTime() - c.created_at.getTime()) / 1000)) : null,
      inProgress: rows.filter((c) => c.status === 'open' || (c.status === 'new' && c.assignee_id !== null)).length,
      pendingOnResident: rows.filter((c) => c.status === 'pending').length,
      agentsByPresence: Object.fromEntries(PRESENCES.map((p) => [p, people.filter((a) => a.presence === p).length])) as unknown as Kpis['agentsByPresence'],
      offeredToday: period.offered,
      answeredToday: period.answered,
      answeredWithinTargetToday: period.answeredWithinTarget,
      serviceLevel: period.serviceLevel,
      averageSpeedOfAnswerSeconds: period.averageSpeedOfAnswerSeconds,
      firstResponseSeconds: { p50: period.firstResponseP50Seconds, p90: period.firstResponseP90Seconds },
      abandonedToday: period.abandoned,
      abandonedUnder5sToday: period.abandonedUnder5s,
      backlogAgeBands: {
        underOneDay: open.filter((c) => age(c) < 1).length,
        oneToThreeDays: open.filter((c) => age(c) >= 1 && age(c) < 3).length,
        threeToTenDays: open.filter((c) => age(c) >= 3 && age(c) < 10).length,
        overTenDays: open.filter((c) => age(c) >= 10).length,
      },
    };
  }

  function periodFigures(rows: CaseRow[]): Omit<HistoryRow, 'start' | 'departmentId' | 'channel'> {
    const target = (c: CaseRow) => departments.find((d) => d.id === c.department_id)!.answer_target_seconds * 1000;
    const isAbandoned = (c: CaseRow) => c.abandoned_at !== null && (c.first_response_at === null || c.first_response_at > c.abandoned_at);
    const isShort = (c: CaseRow) => isAbandoned(c) && c.abandoned_at!.getTime() - c.created_at.getTime() < 5000;
    const offered = rows.filter((c) => !isShort(c));
    const answered = rows.filter((c) => c.first_response_at !== null && !isAbandoned(c));
    const within = answered.filter((c) => c.first_response_at!.getTime() - c.created_at.getTime() <= target(c));
    const waits = answered.map((c) => (c.first_response_at!.getTime() - c.created_at.getTime()) / 1000).sort((a, b) => a - b);
    return {
      offered: offered.length,
      answered: answered.length,
      answeredWithinTarget: within.length,
      serviceLevel: offered.length ? within.length / offered.length : null,
      averageSpeedOfAnswerSeconds: waits.length ? waits.reduce((a, b) => a + b, 0) / waits.length : null,
      abandoned: rows.filter((c) => isAbandoned(c) && !isShort(c)).length,
      abandonedUnder5s: rows.filter(isShort).length,
      resolved: rows.filter((c) => c.status === 'resolved' || c.status === 'closed').length,
      firstResponseP50Seconds: percentile(waits, 0.5),
      firstResponseP90Seconds: percentile(waits, 0.9),
    };
  }

  function oracleHistory(from: Date, to: Date, bucket: '15m' | 'hour' | 'day'): HistoryRow[] {
    const size = { '15m': 900_000, hour: 3_600_000, day: 86_400_000 }[bucket]; // GMT all the way: London days are UTC days here
    const groups = new Map<string, CaseRow[]>();
    for (const c of cases.filter((c) => inRange(c.created_at, from, to))) {
      const start = new Date(Math.floor(c.created_at.getTime() / size) * size).toISOString();
      const key = `${start}|${c.department_id}|${c.channel}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    return [...groups.entries()].map(([key, rows]) => {
      const [start, departmentId, channel] = key.split('|');
      return { start, departmentId, channel, ...periodFigures(rows) } as HistoryRow;
    });
  }

  function slugOf(departmentId: string): string {
    return departments.find((d) => d.id === departmentId)!.slug;
  }

  function isOpen(c: CaseRow): boolean {
    return c.status === 'new' || c.status === 'open' || c.status === 'pending';
  }
});

// ---- helpers: deliberately simple ----

function inRange(d: Date, from: Date, to: Date): boolean {
  return d.getTime() >= from.getTime() && d.getTime() < to.getTime();
}

/** Linear interpolation between closest ranks (PostgreSQL's percentile_cont). */
function percentile(sorted: number[], p: number): number | null {
  if (!sorted.length) return null;
  const pos = (sorted.length - 1) * p;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** The shipped working calendars (config/sla.yaml: opening days and England and Wales bank holidays). */
const SLA = SlaConfig.load('config', CouncilConfig.load('config'));

/** Counts the department's working days after `from` up to and including `to`, one day at a time. */
function workingDaysBetween(from: string, to: string, slug: string): number {
  let n = 0;
  for (let d = new Date(`${from}T12:00:00Z`); d.toISOString().slice(0, 10) < to; ) {
    d = new Date(d.getTime() + 86_400_000);
    if (SLA.calendarFor(slug).isWorkingDay(d.toISOString().slice(0, 10))) n++;
  }
  return n;
}

function londonDate(d: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

function londonMidnight(at: Date): number {
  // Walk back from `at` to the first instant of its London date (offsets are whole hours).
  const date = londonDate(at);
  for (const offsetHours of [0, -1, 1]) {
    const t = Date.parse(`${date}T00:00:00Z`) + offsetHours * 3_600_000;
    if (londonDate(new Date(t)) === date && londonDate(new Date(t - 1)) !== date) return t;
  }
  throw new Error(`no midnight for ${date}`);
}

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let x = Math.imul(a ^ (a >>> 15), 1 | a);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
}

/** Lists rows by a key, so order never counts as a mismatch (departments, channels and agents by id). */
function normalise(s: LiveSnapshot): unknown {
  return {
    ...s,
    departments: Object.fromEntries(s.departments.map((d) => [d.departmentId, { ...d, channels: Object.fromEntries(d.channels.map((c) => [c.channel, c.kpis])) }])),
    agents: Object.fromEntries(s.agents.map((a) => [a.id, { ...a, departmentIds: [...a.departmentIds].sort() }])),
  };
}

function keyed(rows: HistoryRow[]): Record<string, HistoryRow> {
  return Object.fromEntries(rows.map((r) => [`${r.start}|${r.departmentId}|${r.channel}`, r]));
}

/** Every difference between two values, as "path: actual ≠ expected"; numbers may differ by rounding to the millisecond. */
function mismatches(actual: unknown, expected: unknown, path = '$'): string[] {
  if (typeof expected === 'number' && typeof actual === 'number') return Math.abs(actual - expected) <= 0.0006 ? [] : [`${path}: ${actual} ≠ ${expected}`];
  if (expected === null || typeof expected !== 'object' || actual === null || typeof actual !== 'object') {
    return actual === expected ? [] : [`${path}: ${JSON.stringify(actual)} ≠ ${JSON.stringify(expected)}`];
  }
  const keys = new Set([...Object.keys(actual as object), ...Object.keys(expected as object)]);
  return [...keys].flatMap((k) => mismatches((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${path}.${k}`));
}
