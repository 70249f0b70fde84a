import { connect, Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
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

  describe('keep-alive connections', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp();
    });

    afterAll(async () => {
      await t?.close();
    });

    it('keeps an idle connection open past Node’s 5 s default, so a proxy reusing it is not reset', async () => {
      const socket = await openConnection(t.url);
      try {
        expect(await getHealth(socket)).toMatch(/^HTTP\/1\.1 200 /);
        await sleep(6_000);
        expect(socket.destroyed).toBe(false);
        expect(await getHealth(socket)).toMatch(/^HTTP\/1\.1 200 /);
      } finally {
        socket.destroy();
      }
    });

    it('closes an idle connection after HTTP_KEEP_ALIVE_SECONDS', async () => {
      const short = await startTestApp({ env: { HTTP_KEEP_ALIVE_SECONDS: '1' } });
      const socket = await openConnection(short.url);
      try {
        const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
        expect(await getHealth(socket)).toMatch(/^HTTP\/1\.1 200 /);
        const answeredAt = Date.now();
        expect((await closed) - answeredAt).toBeLessThan(4_000);
      } finally {
        socket.destroy();
        await short.close();
      }
    });

    async function openConnection(url: string): Promise<Socket> {
      const { hostname, port } = new URL(url);
      const socket = connect(Number(port), hostname);
      await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
      return socket;
    }

    /** One GET /health on the kept connection; resolves with the raw response once its whole body has come. */
    function getHealth(socket: Socket): Promise<string> {
      return new Promise((resolve, reject) => {
        let raw = '';
        const onData = (chunk: Buffer) => {
          raw += chunk.toString('latin1');
          const [head, body] = raw.split('\r\n\r\n');
          const length = Number(/content-length: (\d+)/i.exec(head)?.[1]);
          if (body !== undefined && body.length >= length) done(() => resolve(raw));
        };
        const onClose = () => done(() => reject(new Error(`connection closed; got ${JSON.stringify(raw)}`)));
        const done = (then: () => void) => {
          socket.off('data', onData).off('close', onClose);
          then();
        };
        socket.on('data', onData).on('close', onClose);
        socket.write(`GET /health HTTP/1.1\r\nHost: ${socket.remoteAddress}\r\n\r\n`);
      });
    }
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
