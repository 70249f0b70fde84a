import { spawn } from 'node:child_process';
import { resolve as resolvePath } from 'node:path';
import IORedis from 'ioredis';
import { Client } from 'pg';
import { hashPassword } from '../../src/agents/agents.service';
import { createDataSource } from '../../src/database/data-source';
import { adminQuery, databaseUrl, TEST_REDIS_URL } from '../../test/support/services';

/** The project folder (the compiled file runs from dist/bench/support). */
const ROOT = resolvePath(__dirname, '../../..');

/** The password of every benchmark agent: sign-in is not what is measured. */
const PASSWORD = 'bench-agent-password-long-enough';

/** A fresh, migrated database for one benchmark run; dropped by the caller's clean-up. */
export async function createBenchDatabase(name: string, settings: { synchronousCommit?: 'on' | 'off' } = {}): Promise<string> {
  await adminQuery(`CREATE DATABASE ${name}`);
  // Every session of this database then commits as asked, whatever the server's default.
  if (settings.synchronousCommit) await adminQuery(`ALTER DATABASE ${name} SET synchronous_commit = ${settings.synchronousCommit}`);
  const url = databaseUrl(name);
  const ds = await createDataSource(url, 2).initialize();
  await ds.runMigrations({ transaction: 'each' });
  await ds.destroy();
  return url;
}

export async function dropRedisKeys(prefix: string): Promise<void> {
  const redis = new IORedis(TEST_REDIS_URL, { lazyConnect: true });
  await redis.connect();
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  redis.disconnect();
}

/**
 * `count` available agents of Customer Services straight into the database (one password hash for all: hashing is
 * not what is measured), then signed in over HTTP, eight at a time.
 */
export async function signInAgents(db: Client, hubUrl: string, count: number, run: string): Promise<Array<{ id: string; token: string }>> {
  const hash = await hashPassword(PASSWORD);
  const [{ id: departmentId }] = (await db.query(`SELECT id FROM department WHERE slug = 'customer-services'`)).rows;
  const emails = Array.from({ length: count }, (_, i) => `bench-${run}-${i}@council.test`);
  const { rows } = await db.query(
    `INSERT INTO agent (email, name, role, password_hash, capacity, presence)
     SELECT e, 'Bench agent ' || n, 'agent', $2, 20, 'available' FROM unnest($1::text[]) WITH ORDINALITY AS x(e, n) RETURNING id, email`,
    [emails, hash],
  );
  await db.query(`INSERT INTO agent_department (agent_id, department_id) SELECT unnest($1::uuid[]), $2`, [rows.map((r) => r.id), departmentId]);
  const tokens: Array<{ id: string; token: string }> = [];
  for (let i = 0; i < rows.length; i += 8) {
    tokens.push(...(await Promise.all(rows.slice(i, i + 8).map((row) => signIn(hubUrl, row.id as string, row.email as string)))));
  }
  return tokens;
}

async function signIn(hubUrl: string, id: string, email: string): Promise<{ id: string; token: string }> {
  const res = await fetch(`${hubUrl}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }) });
  if (res.status !== 200) throw new Error(`sign-in of ${email} answered ${res.status}: ${await res.text()}`);
  return { id, token: ((await res.json()) as { token: string }).token };
}

/** A numeric option: `--name value` on the command line, else the environment's BENCH_NAME, else the fallback. */
export function numberFlag(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  const raw = i >= 0 ? process.argv[i + 1] : process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a number, got ${raw}`);
  return value;
}

/** A stand-in server in its own process, for a bench's floor: what less than the hub does costs on this machine. */
export interface BareServer {
  port: number;
  pid: number;
  stop(): void;
}

/**
 * Runs `script` (CommonJS, which prints the port it listens on as its first line) in its own node process, as the
 * hub runs in its own: floor and hub then share the cores with the load generator in the same way. `require` in the
 * script resolves from the project, so it can use the hub's own dependencies (socket.io, ...).
 */
export async function startBareServer(script: string): Promise<BareServer> {
  const child = spawn(process.execPath, ['-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString().trim())));
    child.once('exit', () => reject(new Error('the bare server did not start')));
  });
  return { port, pid: child.pid!, stop: () => void child.kill('SIGKILL') };
}

/** A yes/no flag: `--name` on the command line, or BENCH_NAME=1 in the environment. */
export function booleanFlag(name: string): boolean {
  return process.argv.includes(`--${name}`) || process.env[`BENCH_${name.toUpperCase().replace(/-/g, '_')}`] === '1';
}

/** Runs a bench's main and exits: 0 when it finished, 1 with the stack when it failed (open sockets keep no bench alive). */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (e: Error) => {
      console.error(e.stack ?? e);
      process.exit(1);
    },
  );
}
