import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { adminQuery, databaseUrl } from './services';

export interface TestDatabase {
  name: string;
  url: string;
  /** A plain pg client for checks "from the outside" (independent of the app's own code). */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  drop(): Promise<void>;
}

/** A fresh, migrated database of this test file's own. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = process.env.HUB_TEST_TEMPLATE;
  if (!template) throw new Error('HUB_TEST_TEMPLATE is unset: run tests through jest (global setup)');
  const name = `hub_t_${randomBytes(5).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name} TEMPLATE ${template}`);
  const url = databaseUrl(name);
  const client = new Client({ connectionString: url });
  await client.connect();
  return {
    name,
    url,
    query: async (sql, params) => (await client.query(sql, params as unknown[])).rows,
    drop: async () => {
      await client.end();
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}
