import { startTestApp, TestApp } from './support/app';
import { givenApiInbox, postApiMessage } from './support/given';
import { adminQuery } from './support/services';

describe('operations endpoints (e2e)', () => {
  describe('GET /health', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp();
    });

    afterAll(async () => {
      await t?.close();
    });

    it('answers 200 JSON with the database up and in-process jobs counted as up', async () => {
      const res = await fetch(`${t.url}/health`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/application\/json/);
      expect(await res.json()).toMatchObject({
        status: 'ok',
        info: { database: { status: 'up' }, redis: { status: 'up', state: 'in-process' } },
        error: {},
      });
    });

    it('answers 503 JSON naming the database once it is gone', async () => {
      const down = await startTestApp();
      try {
        // Refuse new connections, then cut the app's open ones: its pool can no longer reach its database.
        await adminQuery(`ALTER DATABASE ${down.db.name} ALLOW_CONNECTIONS false`);
        await adminQuery(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '${down.db.name}' AND application_name = 'contact-hub'`);
        const res = await fetch(`${down.url}/health`);
        expect(res.status).toBe(503);
        const body = (await res.json()) as any;
        expect(body.status).toBe('error');
        expect(body.error.database.status).toBe('down');
      } finally {
        await adminQuery(`ALTER DATABASE ${down.db.name} ALLOW_CONNECTIONS true`);
        await down.close();
      }
    });
  });

  describe('GET /health with Redis', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ redis: true });
    });

    afterAll(async () => {
      await t?.close();
    });

    it('reports Redis up', async () => {
      const res = await fetch(`${t.url}/health`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as any).info.redis).toEqual({ status: 'up', state: 'up' });
    });
  });

  describe('GET /metrics', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp();
    });

    afterAll(async () => {
      await t?.close();
    });

    it('answers Prometheus text with the intake counter and the queue depth per department, fresh at each scrape', async () => {
      const { token } = await givenApiInbox(t, { department: 'waste' });
      for (const n of [1, 2]) {
        const res = await postApiMessage(t, token, { externalId: `m-${n}`, from: { address: `r-${n}` }, text: 'Hello there' });
        expect(res.status).toBe(201);
      }
      const res = await fetch(`${t.url}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
      const text = await res.text();
      expect(text).toContain('# TYPE hub_intake_messages_total counter');
      expect(text).toMatch(/hub_intake_messages_total\{[^}]*channel="api"[^}]*\} \d+/);
      expect(text).toContain('# TYPE hub_queue_depth gauge');
      expect(text).toContain('hub_queue_depth{department="waste"} 2');
      expect(text).toContain('hub_queue_depth{department="housing"} 0');

      await t.db.query(`UPDATE "case" SET status = 'open'`);
      const after = await (await fetch(`${t.url}/metrics`)).text();
      expect(after).toContain('hub_queue_depth{department="waste"} 0');
    });
  });
});
