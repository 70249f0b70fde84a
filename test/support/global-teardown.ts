import { adminQuery } from './services';

export default async function globalTeardown(): Promise<void> {
  const template = process.env.HUB_TEST_TEMPLATE;
  if (template) await adminQuery(`DROP DATABASE IF EXISTS ${template} WITH (FORCE)`);
}
