import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { createApp } from '../../src/bootstrap';
import { createTestDatabase, TestDatabase } from './database';
import { TEST_REDIS_URL } from './services';

export interface TestApp {
  app: INestApplication;
  /** http://127.0.0.1:<port> */
  url: string;
  db: TestDatabase;
  get<T>(token: abstract new (...args: never[]) => T): T;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Jobs on BullMQ with a key prefix of this app's own; in-process otherwise. */
  redis?: boolean;
  env?: Record<string, string>;
  /** The zero-setup default: embedded PGlite in a temporary data folder instead of the test's PostgreSQL. */
  embedded?: boolean;
  /** Another app's database (several app processes on one database): used as is, and left for its owner to drop. */
  database?: TestDatabase;
}

/** The whole hub on loopback, on its own fresh database (and Redis key prefix). */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = options.database ?? (options.embedded ? await embeddedDatabase() : await createTestDatabase());
  const app = await createApp({
    NODE_ENV: 'test',
    DATABASE_URL: options.embedded ? '' : db.url,
    DATA_DIR: options.embedded ? db.url : '.data',
    REDIS_URL: options.redis ? TEST_REDIS_URL : '',
    REDIS_PREFIX: `hubtest:${randomBytes(4).toString('hex')}`,
    AUTH_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'fatal',
    PORT: '0',
    ...options.env,
  });
  await app.listen(0, '127.0.0.1');
  if (options.embedded) db.query = embeddedQuery(app);
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    db,
    get: (token) => app.get(token as never),
    close: async () => {
      await app.close();
      if (!options.database) await db.drop();
    },
  };
}

/** A temporary data folder for the embedded database; its `url` is the folder. Queries go through the app's pool. */
async function embeddedDatabase(): Promise<TestDatabase> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-pglite-'));
  return {
    name: dir,
    url: dir,
    query: () => Promise.reject(new Error('not started')),
    drop: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

function embeddedQuery(app: INestApplication): TestDatabase['query'] {
  const ds = app.get(DataSource);
  return (sql, params) => ds.query(sql, params as unknown[]);
}

/**
 * Closes clients, then hub instances that share one Redis. A disconnect sets off work across instances (presence
 * going offline asks every instance for the agent's sockets through Redis); closing an instance's Redis while that
 * is in flight leaves a rejected command nobody awaits, which fails the test file. So the disconnects are given
 * time to be handled first.
 */
export async function closeInstances(clients: Array<{ close(): void }>, apps: Array<TestApp | undefined>): Promise<void> {
  for (const c of clients) c.close();
  await new Promise((resolve) => setTimeout(resolve, 500));
  for (const app of apps) await app?.close();
}
