import { createDataSource } from '../../src/database/data-source';
import { adminQuery, databaseUrl, ensureServicesRunning } from './services';

/** Migrates one template database per run; every test file clones its own from it (CREATE DATABASE … TEMPLATE). */
export default async function globalSetup(): Promise<void> {
  ensureServicesRunning();
  const template = `hub_tpl_${process.pid}_${Date.now().toString(36)}`;
  await adminQuery(`CREATE DATABASE ${template}`);
  const ds = await createDataSource(databaseUrl(template)).initialize();
  await ds.runMigrations();
  await ds.destroy();
  process.env.HUB_TEST_TEMPLATE = template;
  process.env.HUB_TEST_RUN = template.slice('hub_tpl_'.length);
}
