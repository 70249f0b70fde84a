import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { basename, join, resolve } from 'node:path';
import { hashToken } from '../../src/inboxes/inboxes.service';

/** The repository root, whether this file runs from test/support (ts-jest) or dist/test/support (built). */
const ROOT = resolve(__dirname, basename(resolve(__dirname, '../..')) === 'dist' ? '../../..' : '../..');
export const BUILT_MAIN = join(ROOT, 'dist/src/main.js');

export interface HubProcess {
  /** http://127.0.0.1:<port> */
  url: string;
  pid: number;
  /** What the process wrote to stdout and stderr (the last 64 kB). */
  output(): string;
  /** SIGKILL: no shutdown hooks, no flushing; resolves once the process is gone. */
  kill(): Promise<void>;
  /** SIGTERM and wait for a clean exit (SIGKILL after the grace time). */
  stop(graceMs?: number): Promise<void>;
}

export interface HubProcessOptions {
  /** Environment of the hub on top of the defaults below (DATABASE_URL at least). */
  env: Record<string, string>;
  readyTimeoutMs?: number;
}

/** A port nobody listens on right now, on loopback. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}

/**
 * Starts the built hub (`node dist/src/main.js`) as a child process on a free loopback port and waits until it
 * answers HTTP. main.ts listens only after the whole application has started, so the first answer below 500
 * (GET /health, or a 404 where that endpoint does not exist yet) means it is ready.
 */
export async function startHubProcess(options: HubProcessOptions): Promise<HubProcess> {
  if (!existsSync(BUILT_MAIN)) throw new Error(`${BUILT_MAIN} is missing: run \`npm run build\` first`);
  const port = await freePort();
  const child = spawn(process.execPath, [BUILT_MAIN], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      REDIS_URL: '',
      AUTH_SECRET: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'warn',
      API_DOCS: 'false',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-65_536));
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(url, child, () => output, options.readyTimeoutMs ?? 30_000);
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    throw e;
  }
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  return {
    url,
    pid: child.pid!,
    output: () => output,
    kill: async () => {
      if (!gone()) child.kill('SIGKILL');
      await exited;
    },
    stop: async (graceMs = 10_000) => {
      if (gone()) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function waitUntilReady(url: string, child: ChildProcess, output: () => string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`the hub exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${output()}`);
    }
    try {
      const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      if (res.status < 500) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the hub did not answer on ${url} within ${timeoutMs} ms:\n${output()}`);
}

export type Query = (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;

/**
 * An API inbox for a hub started on this database (its catalogue of departments is written at start-up).
 * Through the admin CLI (`hub inbox:create`) where it is built; otherwise the row is written here with the
 * same token hashing as InboxesService, which is all the API channel checks.
 */
export async function createApiInbox(databaseUrl: string, query: Query, name = 'Load test'): Promise<{ token: string; via: string }> {
  const cli = join(ROOT, 'dist/src/cli/hub.js');
  if (existsSync(cli)) {
    const args = ['inbox:create', '--channel', 'api', '--name', name, '--department', 'customer-services'];
    const run = spawnSync(process.execPath, [cli, ...args], { cwd: ROOT, env: { ...process.env, DATABASE_URL: databaseUrl, LOG_LEVEL: 'error' }, encoding: 'utf8', timeout: 60_000 });
    const token = /hub_in_[A-Za-z0-9_-]+/.exec(`${run.stdout}\n${run.stderr}`)?.[0];
    if (run.status === 0 && token) return { token, via: 'hub inbox:create' };
  }
  const [department] = await query(`SELECT id FROM department ORDER BY slug = 'customer-services' DESC, slug LIMIT 1`);
  if (!department) throw new Error('no department in the database: has the hub started on it?');
  const token = `hub_in_${randomBytes(24).toString('base64url')}`;
  await query(`INSERT INTO inbox (channel, name, department_id, token_hash, secret) VALUES ('api', $1, $2, $3, $4)`, [
    name,
    department.id,
    hashToken(token),
    randomBytes(32).toString('base64url'),
  ]);
  return { token, via: 'direct insert (no CLI built)' };
}
