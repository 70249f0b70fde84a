import { execSync } from 'node:child_process';
import { Client } from 'pg';

export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

export function databaseUrl(name: string): string {
  const u = new URL(PG_ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: PG_ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** Real services only: a test run starts PostgreSQL and Redis where this machine has them stopped. */
export function ensureServicesRunning(): void {
  if (!ok('pg_isready -h 127.0.0.1 -p 5432')) {
    run('pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start');
    waitFor('pg_isready -h 127.0.0.1 -p 5432');
  }
  if (!ok('redis-cli -h 127.0.0.1 ping')) {
    run('redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no');
    waitFor('redis-cli -h 127.0.0.1 ping');
  }
}

function ok(cmd: string): boolean {
  try {
    execSync(cmd, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function run(cmd: string): void {
  execSync(cmd, { stdio: 'inherit', shell: '/bin/bash' });
}

function waitFor(cmd: string): void {
  for (let i = 0; i < 50; i++) {
    if (ok(cmd)) return;
    execSync('sleep 0.2');
  }
  throw new Error(`service did not come up: ${cmd}`);
}
