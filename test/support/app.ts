import { INestApplication } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
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
}

/** The whole hub on loopback, on its own fresh database (and Redis key prefix). */
export async function startTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const db = await createTestDatabase();
  const app = await createApp({
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    REDIS_URL: options.redis ? TEST_REDIS_URL : '',
    REDIS_PREFIX: `hubtest:${randomBytes(4).toString('hex')}`,
    AUTH_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'fatal',
    PORT: '0',
    ...options.env,
  });
  await app.listen(0, '127.0.0.1');
  const address = app.getHttpServer().address() as { port: number };
  return {
    app,
    url: `http://127.0.0.1:${address.port}`,
    db,
    get: (token) => app.get(token as never),
    close: async () => {
      await app.close();
      await db.drop();
    },
  };
}
