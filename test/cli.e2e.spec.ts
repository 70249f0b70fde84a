import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import twilio from 'twilio';
import { startTestApp, TestApp } from './support/app';
import { postApiMessage } from './support/given';
import { adminQuery, databaseUrl } from './support/services';

/** The built programs, as an admin runs them (`npm test` builds first). */
const ROOT = resolve(__dirname, '..');
const CLI = join(ROOT, 'dist/src/cli/hub.js');
const MAIN = join(ROOT, 'dist/src/main.js');

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function node(script: string, args: string[], env: Record<string, string>, input = ''): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: ROOT,
      // NODE_ENV=test: a developer's .env is not read.
      env: { ...process.env, NODE_ENV: 'test', REDIS_URL: '', LOG_LEVEL: 'log', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('error', fail);
    child.on('close', (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
    child.stdin.end(input);
  });
}

const TOKEN = /token:\s+(hub_in_[A-Za-z0-9_-]+)/;

describe('admin command line: npm run hub -- <command>', () => {
  const name = `hub_cli_${randomBytes(5).toString('hex')}`;
  const url = databaseUrl(name);
  const env = { DATABASE_URL: url, AUTH_SECRET: randomBytes(32).toString('hex') };
  const hub = (args: string[], input?: string) => node(CLI, args, env, input);
  let db: Client;

  beforeAll(async () => {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
    await adminQuery(`CREATE DATABASE ${name}`); // empty: no template, so migrate has everything to do
    db = new Client({ connectionString: url });
    await db.connect();
  });

  afterAll(async () => {
    await db?.end();
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });

  // The tests below build on each other, in order: migrate, seed, then the hub on the seeded database.

  it('migrate runs every migration on an empty database, then finds none pending', async () => {
    const first = await hub(['migrate']);
    expect(first).toMatchObject({ code: 0, stderr: '' });
    expect(first.stdout).toMatch(/ran \d+ migrations?\n\s+Foundation\d+/);
    expect(first.stdout).not.toContain(env.AUTH_SECRET);
    const [{ count }] = (await db.query(`SELECT count(*)::int AS count FROM migration`)).rows;
    expect(count).toBeGreaterThan(0);

    const again = await hub(['migrate']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/up to date, no pending migrations/);
  });

  let seedTokens: string[] = [];
  let demoUrls: string[] = [];
  const DEMO_URL = /http:\/\/\S+\/demo\?inbox=(hub_in_[A-Za-z0-9_-]+)/;

  it('seed creates the demo council once, however often it runs, with a new inbox token each time', async () => {
    const runs = [await hub(['seed']), await hub(['seed'])];
    for (const run of runs) expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(runs[0].stdout).toMatch(/staff: 9 created, 0 already there/);
    expect(runs[1].stdout).toMatch(/staff: 0 created, 9 already there/);
    expect(runs[1].stdout).toMatch(/admin\s+admin@demo-council\.example\s+demo-admin-password/);

    const staff = (await db.query(`SELECT role, count(*)::int AS n FROM agent GROUP BY role ORDER BY role`)).rows;
    expect(staff).toEqual([
      { role: 'admin', n: 1 },
      { role: 'agent', n: 6 },
      { role: 'supervisor', n: 2 },
    ]);
    const departments = (await db.query(`SELECT DISTINCT d.slug FROM agent_department ad JOIN department d ON d.id = ad.department_id ORDER BY d.slug`)).rows;
    expect(departments.map((d) => d.slug)).toEqual(['adult-social-care', 'council-tax', 'customer-services', 'highways', 'housing', 'waste']);
    expect((await db.query(`SELECT count(*)::int AS n FROM inbox WHERE name = 'Demo API'`)).rows).toEqual([{ n: 1 }]);

    // The web chat inbox for /demo: created once, a working token in the printed URL on every run.
    expect((await db.query(`SELECT settings FROM inbox WHERE name = 'Demo web chat' AND channel = 'webchat'`)).rows).toEqual([{ settings: { council: 'Anytown Borough Council' } }]);
    demoUrls = runs.map((r) => DEMO_URL.exec(r.stdout)?.[0] ?? '');
    expect(demoUrls[0]).toMatch(/^http:\/\/localhost:\d+\/demo\?inbox=hub_in_/);
    expect(demoUrls[1]).not.toBe(demoUrls[0]);
    seedTokens = runs.map((r) => TOKEN.exec(r.stdout)?.[1] ?? '');
    expect(seedTokens[0]).toMatch(/^hub_in_/);
    expect(seedTokens[1]).toMatch(/^hub_in_/);
    expect(seedTokens[1]).not.toBe(seedTokens[0]);
  });

  describe('with the hub running on the same database', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp({ env: { DATABASE_URL: url, AUTH_SECRET: env.AUTH_SECRET } });
    });
    afterAll(() => t?.close());

    const login = (email: string, password: string) =>
      fetch(`${t.url}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });

    it('accepts only the latest seeded inbox token', async () => {
      const old = await postApiMessage(t, seedTokens[0], { externalId: 'cli-old', from: { address: 'r-1' }, text: 'hello' });
      const latest = await postApiMessage(t, seedTokens[1], { externalId: 'cli-new', from: { address: 'r-1' }, text: 'hello' });
      expect(old.status).toBe(401);
      expect(latest.status).toBe(201);
    });

    it('lets a seeded supervisor sign in with the printed demo password', async () => {
      const res = await login('supervisor1@demo-council.example', 'demo-supervisor-password');
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ token: expect.any(String), agent: { role: 'supervisor' } });
    });

    it('agent:create makes an account that signs in', async () => {
      const run = await hub(['agent:create', '--email', 'new.agent@council.example', '--name', 'New Agent', '--role', 'agent', '--departments', 'waste,housing', '--password', 'a-long-enough-password']);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(/Agent created: New Agent <new\.agent@council\.example>, agent in (waste, housing|housing, waste)/);

      const res = await login('new.agent@council.example', 'a-long-enough-password');
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ agent: { email: 'new.agent@council.example', role: 'agent' } });
      expect((await login('new.agent@council.example', 'not-the-password')).status).toBe(401);
    });

    it('agent:create reads the password from standard input with --password -', async () => {
      const run = await hub(['agent:create', '--email', 'piped@council.example', '--name', 'Piped', '--role', 'admin', '--password', '-'], 'piped-password-123\n');
      expect(run.code).toBe(0);
      expect((await login('piped@council.example', 'piped-password-123')).status).toBe(200);
    });

    it('inbox:create prints a token the API channel accepts, and the secret', async () => {
      const run = await hub(['inbox:create', '--channel', 'api', '--name', 'Housing portal', '--department', 'housing', '--callback-url', 'http://127.0.0.1:9/replies']);
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).toMatch(/secret: \S{32,}/);
      const token = TOKEN.exec(run.stdout)![1];

      const res = await postApiMessage(t, token, { externalId: 'cli-1', from: { address: 'tenant-7' }, text: 'The boiler is broken' });
      expect(res.status).toBe(201);
      const { rows } = await db.query(`SELECT d.slug FROM "case" c JOIN inbox i ON i.id = c.inbox_id JOIN department d ON d.id = i.department_id WHERE c.id = $1`, [res.body.caseId]);
      expect(rows).toEqual([{ slug: 'housing' }]);
    });
    it('the seed’s /demo URL names a web chat inbox the widget can start a session with; only the latest works', async () => {
      const session = (inbox: string) => fetch(`${t.url}/webchat/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inbox }) });
      const [oldToken, newToken] = demoUrls.map((u) => DEMO_URL.exec(u)![1]);
      expect((await session(newToken)).status).toBe(200);
      expect((await session(oldToken)).status).toBe(404);
      const page = await fetch(`${t.url}/demo?inbox=${newToken}`);
      expect(await page.text()).toContain(`data-inbox="${newToken}"`);
    });

    it('inbox:create sets up a web chat inbox with the council’s name and the email inbox for follow-ups', async () => {
      const email = await hub(['inbox:create', '--channel', 'email', '--name', 'Contact us', '--department', 'customer-services', '--address', 'contact@cli.example.gov.uk', '--json']);
      expect(email).toMatchObject({ code: 0, stderr: '' });
      const emailId = (JSON.parse(email.stdout) as { id: string }).id;
      for (const [name, ref] of [['Chat A', 'Contact@cli.example.gov.uk'], ['Chat B', emailId]]) {
        const run = await hub(['inbox:create', '--channel', 'webchat', '--name', name, '--department', 'waste', '--council', 'Anytown Borough Council', '--email-inbox', ref]);
        expect(run).toMatchObject({ code: 0, stderr: '' });
        const token = TOKEN.exec(run.stdout)![1];
        expect(run.stdout).toContain(`data-inbox="${token}"`);
        const { rows } = await db.query(`SELECT settings FROM inbox WHERE name = $1`, [name]);
        expect(rows[0].settings).toEqual({ council: 'Anytown Borough Council', emailInboxId: emailId });
      }
      const wrong = await hub(['inbox:create', '--channel', 'webchat', '--name', 'Chat C', '--department', 'waste', '--email-inbox', 'nobody@cli.example.gov.uk']);
      expect(wrong.code).toBe(2);
      expect(wrong.stderr).toMatch(/--email-inbox "nobody@cli\.example\.gov\.uk" is not an email inbox of this hub \(email inboxes: contact@cli\.example\.gov\.uk\)/);
      expect((await db.query(`SELECT count(*)::int AS n FROM inbox WHERE name = 'Chat C'`)).rows).toEqual([{ n: 0 }]);
    });

    it('inbox:create sets up a Twilio SMS inbox (auth token from standard input) that takes signed webhooks', async () => {
      const accountSid = `AC${randomBytes(16).toString('hex')}`;
      const authToken = randomBytes(16).toString('hex');
      const number = '+447700900555';
      const run = await hub(
        ['inbox:create', '--channel', 'sms', '--name', 'Waste SMS', '--department', 'waste', '--account-sid', accountSid, '--auth-token', '-', '--from-number', number, '--json'],
        `${authToken}\n`,
      );
      expect(run).toMatchObject({ code: 0, stderr: '' });
      expect(run.stdout).not.toContain(authToken);
      const created = JSON.parse(run.stdout) as { id: string; address: string };
      expect(created.address).toBe(number);
      const { rows } = await db.query(`SELECT settings FROM inbox WHERE id = $1`, [created.id]);
      expect(rows[0].settings).toEqual({ accountSid, authToken });

      const params = { MessageSid: `SM${randomBytes(16).toString('hex')}`, AccountSid: accountSid, From: '+447700900556', To: number, Body: 'Bins', NumMedia: '0' };
      const res = await fetch(`${t.url}/channels/sms/twilio`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(authToken, `${t.url}/channels/sms/twilio`, params) },
        body: new URLSearchParams(params).toString(),
      });
      expect(res.status).toBe(200);
    });
  });

  describe('a bad command, flag or value', () => {
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['agent:create', '--email', 'x@council.example', '--name', 'X', '--role', 'agent', '--password', 'long-enough-pw', '--colour', 'red'], /unknown flag --colour/],
      [['agent:create', '--name', 'X', '--role', 'agent', '--password', 'long-enough-pw'], /missing --email/],
      [['agent:create', '--email', '--name', 'X'], /--email needs a value/],
      [['agent:create', '--email', 'x@council.example', '--name', 'X', '--role', 'overlord', '--password', 'long-enough-pw'], /--role must be one of agent, supervisor, admin/],
      [['agent:create', '--email', 'x@council.example', '--name', 'X', '--role', 'agent', '--departments', 'potions', '--password', 'long-enough-pw'], /departments: "potions" does not exist/],
      [['agent:create', '--email', 'x@council.example', '--name', 'X', '--role', 'agent', '--departments', 'waste', '--password', 'short'], /password must be at least 12 characters \(--password\)/],
      [['agent:create', '--email', 'x@council.example', '--name', 'X', '--role', 'agent', '--departments', 'waste', '--password', 'long-enough-pw', '--capacity', 'lots'], /--capacity must be a whole number/],
      [['inbox:create', '--channel', 'api', '--name', 'X'], /missing --department/],
      [['inbox:create', '--channel', 'fax', '--name', 'X', '--department', 'waste'], /--channel must be one of/],
      [['inbox:create', '--channel', 'api', '--name', 'X', '--department', 'waste', '--callback-url', 'not a url'], /callback URL must be an http\(s\) URL \(--callback-url\)/],
      [['inbox:create', '--channel', 'sms', '--name', 'X', '--department', 'waste', '--auth-token', 'ab'.repeat(16), '--from-number', '+447700900123'], /--account-sid is required for a sms inbox/],
      [['inbox:create', '--channel', 'whatsapp', '--name', 'X', '--department', 'waste', '--whatsapp-provider', 'vonage'], /--whatsapp-provider must be twilio or meta/],
      [['inbox:create', '--channel', 'messenger', '--name', 'X', '--department', 'waste', '--address', '1234567890', '--bot-token', 'xoxb-1'], /--bot-token does not apply to messenger inboxes/],
      [['inbox:create', '--channel', 'api', '--name', 'X', '--department', 'waste', '--council', 'Anytown'], /--council does not apply to api inboxes/],
      [['inbox:create', '--channel', 'webchat', '--name', 'X', '--department', 'waste', '--email-inbox', 'the usual one'], /--email-inbox must be the id or the address of an email inbox/],
      [['inbox:create', '--channel', 'webchat', '--name', 'X', '--department', 'waste', '--council', ''], /--council must be the council’s name/],
    ];
    const runs = new Map<string, Run>();

    // Independent of each other: run them side by side, check each on its own.
    beforeAll(async () => {
      await Promise.all(cases.map(async ([args]) => runs.set(args.join(' '), await hub(args))));
    });

    it.each(cases)('%j exits 2, naming the problem', (args, message) => {
      const run = runs.get(args.join(' '))!;
      expect(run.stderr).toMatch(message);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
    });
  });

  it('help lists every command and exits 0', async () => {
    const run = await hub(['help']);
    expect(run.code).toBe(0);
    for (const command of ['migrate', 'seed', 'agent:create', 'inbox:create']) expect(run.stdout).toContain(command);
  });
});

describe('admin command line on the embedded database (the zero-setup default)', () => {
  let dataDir: string;

  beforeAll(() => (dataDir = mkdtempSync(join(tmpdir(), 'hub-cli-'))));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('seeds a fresh data folder and releases its lock file when done', async () => {
    const run = await node(CLI, ['seed'], { DATABASE_URL: '', AUTH_SECRET: '', DATA_DIR: dataDir });
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toMatch(/staff: 9 created/);
    expect(readdirSync(dataDir)).not.toContain('hub.lock');
  }, 120_000);
});

describe('start-up', () => {
  it('refuses PORT=abc with a message naming PORT', async () => {
    const run = await node(MAIN, [], { PORT: 'abc', DATABASE_URL: '', DATA_DIR: join(tmpdir(), 'hub-never-created') });
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(/PORT="abc"/);
  });
});
