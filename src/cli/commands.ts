import 'reflect-metadata';
import { DynamicModule, INestApplicationContext, Logger, LogLevel, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { AgentsModule } from '../agents/agents.module';
import { AgentsService, CreateAgent } from '../agents/agents.service';
import { AppModule } from '../app.module';
import { AgentRole, Channel } from '../common/enum';
import { HubError } from '../common/errors';
import { Env, validateEnv } from '../config/env';
import { createDataSource } from '../database/data-source';
import { EmbeddedPostgres, startEmbeddedPostgres } from '../database/embedded-postgres';
import { DepartmentsService } from '../departments/departments.service';
import { InboxConfig } from '../channels/channel-adapter';
import { InboxesService } from '../inboxes/inboxes.service';
import { loadTheme } from '../web/theme';
import { intFlag, listFlag, ParsedCommand, UsageError } from './cli-args';
import { InboxFlags, providerSettings, ProviderSettings, stdinSecretFlag } from './inbox-settings';
import { DEMO_INBOX, DEMO_STAFF, DEMO_WEBCHAT_INBOX } from './demo-council';

/**
 * The admin commands. They run against the same database and services as the server, in a Nest application
 * context that starts no job worker and no schedule (JOBS_WORKER=false) and closes cleanly, releasing the
 * embedded database's lock. hub.ts loads this file only once the command line has parsed.
 */

/**
 * Quiet: the command's own output is what an admin reads, and the server's warnings (a page not built, a generated
 * secret) are beside the point here. LOG_LEVEL=debug or verbose shows all of the hub's logs.
 */
const LEVELS: LogLevel[] = ['fatal', 'error', 'warn', 'log', 'debug', 'verbose'];
const verbosity = LEVELS.indexOf(process.env.LOG_LEVEL as LogLevel);
const CLI_LOG_LEVELS: LogLevel[] = verbosity >= LEVELS.indexOf('debug') ? LEVELS.slice(0, verbosity + 1) : ['fatal', 'error'];
Logger.overrideLogger(CLI_LOG_LEVELS);

const out = (line = ''): void => void process.stdout.write(`${line}\n`);

/** Runs one parsed command. Flags are checked before anything touches the database. */
export async function dispatch({ command, flags }: ParsedCommand): Promise<void> {
  const f = flags as Record<string, string>;
  switch (command) {
    case 'migrate':
      return migrate(loadEnv());
    case 'seed': {
      const env = loadEnv();
      if (env.NODE_ENV === 'production') {
        throw new UsageError('seed: refusing with NODE_ENV=production (the demo council has published passwords); use agent:create and inbox:create');
      }
      return withHub(env, seed);
    }
    case 'agent:create': {
      const password = f.password === '-' ? await readStdinLine() : f.password;
      const input: CreateAgent = { email: f.email, name: f.name, role: f.role as AgentRole, departments: listFlag(f.departments), password, capacity: intFlag(f.capacity) };
      return withHub(loadEnv(), (hub) => createAgent(hub, input, !!flags.json));
    }
    case 'inbox:create': {
      const provider = await inboxProviderSettings(flags);
      return withHub(loadEnv(), (hub) => createInbox(hub, f, provider, !!flags.json));
    }
    case 'help':
      return;
    default: {
      const unhandled: never = command;
      throw new UsageError(`unknown command "${unhandled}"`);
    }
  }
}

// ── migrate ─────────────────────────────────────────────────────────────────────────────────────────────

/** Runs pending migrations directly, without the app: the app refuses to start on a database that needs them. */
async function migrate(env: Env): Promise<void> {
  let embedded: EmbeddedPostgres | undefined;
  if (!env.DATABASE_URL) embedded = await startEmbeddedPostgres(env.DATA_DIR, 2);
  const where = embedded ? `the embedded database in ${env.DATA_DIR}` : describeUrl(env.DATABASE_URL!);
  const ds = createDataSource(embedded?.url ?? env.DATABASE_URL!, 2);
  try {
    await ds.initialize();
    const ran = await ds.runMigrations({ transaction: 'each' });
    if (!ran.length) {
      out(`${where}: up to date, no pending migrations`);
      return;
    }
    out(`${where}: ran ${ran.length} migration${ran.length > 1 ? 's' : ''}`);
    for (const m of ran) out(`  ${m.name}`);
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await embedded?.stop();
  }
}

/**
 * The app refuses a shared database with pending migrations; say so plainly before building it, instead of
 * through its connection retries. (The embedded database migrates itself.)
 */
async function assertMigrated(env: Env): Promise<void> {
  if (!env.DATABASE_URL) return;
  const ds = createDataSource(env.DATABASE_URL, 1);
  try {
    await ds.initialize();
    if (await ds.showMigrations()) throw new Error(`${describeUrl(env.DATABASE_URL)} has pending migrations: run \`npm run hub -- migrate\` first`);
  } finally {
    if (ds.isInitialized) await ds.destroy();
  }
}

/** host/database only: a connection string may carry a password. */
function describeUrl(url: string): string {
  const u = new URL(url);
  return `PostgreSQL ${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}`;
}

// ── seed ────────────────────────────────────────────────────────────────────────────────────────────────

async function seed(hub: INestApplicationContext): Promise<void> {
  const env = hub.get(Env);
  const departments = hub.get(DepartmentsService);
  await departments.syncCatalogue();
  const [departmentCount, serviceCount] = [(await departments.list()).length, (await departments.listServices()).length];

  const agents = hub.get(AgentsService);
  let created = 0;
  for (const staff of DEMO_STAFF) {
    if (await agents.findByEmail(staff.email)) continue;
    try {
      await agents.create({ ...staff, departments: [...staff.departments] });
      created++;
    } catch (e) {
      if (!(e instanceof HubError && e.code === 'Conflict')) throw e; // another seed got there first
    }
  }

  const inboxes = hub.get(InboxesService);
  const token = await demoInboxToken(inboxes, DEMO_INBOX);
  const webchatToken = await demoInboxToken(inboxes, { ...DEMO_WEBCHAT_INBOX, settings: { council: loadTheme(env.CONFIG_DIR).councilName } });

  const base = publicBase(env);
  const emailWidth = Math.max(...DEMO_STAFF.map((s) => s.email.length));
  out('Demo council ready. DEMO DATA ONLY: never seed a hub that holds real residents’ data.');
  out(`  catalogue: ${departmentCount} departments, ${serviceCount} services (config/catalogue.yaml)`);
  out(`  staff: ${created} created, ${DEMO_STAFF.length - created} already there`);
  out();
  out('Demo sign-ins (published demo passwords, printed on purpose; they are not secrets):');
  for (const s of DEMO_STAFF) out(`  ${s.role.padEnd(10)}  ${s.email.padEnd(emailWidth)}  ${s.password}`);
  out();
  out(`API inbox "${DEMO_INBOX.name}" (${DEMO_INBOX.department}): a new token on every seed; the previous one no longer works.`);
  out(`  token: ${token}`);
  out();
  out('Post a first message once the hub is running:');
  out(`  curl -i -X POST ${base}/channels/api/messages \\`);
  out(`    -H 'Authorization: Bearer ${token}' -H 'Content-Type: application/json' \\`);
  out(`    -d '{"externalId":"demo-1","from":{"address":"resident-1","name":"Ada Lovelace"},"text":"Missed bin collection on Elm Road again"}'`);
  out();
  out(`Web chat inbox "${DEMO_WEBCHAT_INBOX.name}" (${DEMO_WEBCHAT_INBOX.department}): a new token on every seed, so open this link again after a seed.`);
  out('Chat as a resident on the sample council page (an agent of the department must be available in the console to answer live):');
  out(`  ${base}/demo?inbox=${webchatToken}`);
}

/**
 * The demo inbox's token: only its hash is stored, so an inbox already there gets a new one (the previous one stops
 * working) and the seed can always print a working token.
 */
async function demoInboxToken(inboxes: InboxesService, demo: { channel: Channel; name: string; department: string; settings?: Record<string, unknown> }): Promise<string> {
  const existing = (await inboxes.list()).find((i) => i.channel === demo.channel && i.name === demo.name);
  return (existing ? await inboxes.rotateToken(existing.id) : await inboxes.create({ ...demo })).token;
}

// ── agent:create, inbox:create ──────────────────────────────────────────────────────────────────────────

async function createAgent(hub: INestApplicationContext, input: CreateAgent, json: boolean): Promise<void> {
  const agent = await hub.get(AgentsService).create(input);
  if (json) return out(JSON.stringify(agent));
  const slugs = await departmentSlugs(hub, agent.departmentIds);
  out(`Agent created: ${agent.name} <${agent.email}>, ${agent.role}${slugs.length ? ` in ${slugs.join(', ')}` : ''}`);
  out(`  id: ${agent.id}`);
}

/** The provider flags checked (UsageError naming the flag) and a `-` secret read from standard input. */
async function inboxProviderSettings(flags: ParsedCommand['flags']): Promise<ProviderSettings> {
  const provider = flags as InboxFlags['flags'];
  const piped = stdinSecretFlag(provider);
  const withSecret = piped ? { ...provider, [piped]: (await readStdinLine()).trim() } : provider;
  const address = typeof flags.address === 'string' ? flags.address.trim() : undefined;
  return providerSettings({ channel: String(flags.channel), address, flags: withSecret });
}

async function createInbox(hub: INestApplicationContext, flags: Record<string, string>, provider: ProviderSettings, json: boolean): Promise<void> {
  const inboxes = hub.get(InboxesService);
  const emailInboxId = provider.emailInbox ? (await emailInboxNamed(inboxes, provider.emailInbox)).id : undefined;
  const { inbox, token, secret } = await inboxes.create({
    channel: flags.channel,
    name: flags.name,
    department: flags.department,
    address: provider.address ?? flags.address,
    callbackUrl: flags['callback-url'],
    settings: { ...provider.settings, ...(emailInboxId ? { emailInboxId } : {}) },
  });
  if (json) return out(JSON.stringify({ id: inbox.id, channel: inbox.channel, name: inbox.name, address: inbox.address, token, secret }));
  out(`Inbox created: "${inbox.name}" (${inbox.channel}) for ${flags.department}${inbox.address ? `, address ${inbox.address}` : ''}`);
  out(`  id:     ${inbox.id}`);
  out(`  token:  ${token}`);
  out(`  secret: ${secret}`);
  if (inbox.channel === Channel.Webchat) return webchatInstructions(hub, token);
  out('Both are shown only now. The token authenticates inbound requests (Authorization: Bearer <token>);');
  out('the secret signs what the hub sends to the callback URL (X-Hub-Signature-256). Store them in a secret store.');
}

/** `--email-inbox`: an email inbox by id or address, or a UsageError naming the flag. */
async function emailInboxNamed(inboxes: InboxesService, idOrAddress: string): Promise<InboxConfig> {
  const found = idOrAddress.includes('@')
    ? await inboxes.findByAddress(Channel.Email, idOrAddress)
    : await inboxes.get(idOrAddress).catch(() => undefined);
  if (!found || found.channel !== Channel.Email) {
    const known = (await inboxes.list()).filter((i) => i.channel === Channel.Email).map((i) => i.address ?? i.id);
    throw new UsageError(`inbox:create: --email-inbox "${idOrAddress}" is not an email inbox of this hub (${known.length ? `email inboxes: ${known.join(', ')}` : 'there is none yet'})`);
  }
  return found;
}

function webchatInstructions(hub: INestApplicationContext, token: string): void {
  const base = publicBase(hub.get(Env));
  out('Both are shown only now. The token is public: it goes in the widget tag of the council’s pages,');
  out(`  <script src="${base}/widget.js" defer data-inbox="${token}"></script>`);
  out(`  try it on the sample page: ${base}/demo?inbox=${token}`);
  out('The secret signs signed-in residents’ identities (docs/channels/webchat.md): keep it on the council’s servers.');
}

function publicBase(env: Env): string {
  return (env.PUBLIC_BASE_URL ?? `http://localhost:${env.PORT}`).replace(/\/$/, '');
}

async function departmentSlugs(hub: INestApplicationContext, ids: string[]): Promise<string[]> {
  const all = await hub.get(DepartmentsService).list();
  return ids.map((id) => all.find((d) => d.id === id)?.slug ?? id);
}

// ── plumbing ────────────────────────────────────────────────────────────────────────────────────────────

/** The server's modules plus the staff accounts, without a job worker or schedules. */
@Module({})
class HubCliModule {
  static forRoot(): DynamicModule {
    return { module: HubCliModule, imports: [AppModule.forRoot({ JOBS_WORKER: 'false' }), AgentsModule] };
  }
}

async function withHub(env: Env, work: (hub: INestApplicationContext) => Promise<void>): Promise<void> {
  await assertMigrated(env);
  const hub = await NestFactory.createApplicationContext(HubCliModule.forRoot(), { logger: CLI_LOG_LEVELS, abortOnError: false });
  try {
    await work(hub);
  } finally {
    await hub.close(); // stops the embedded database and releases its lock file
  }
}

/** The environment as the server sees it: process variables win over .env (which tests ignore). */
function loadEnv(): Env {
  if (process.env.NODE_ENV !== 'test' && existsSync('.env')) process.loadEnvFile('.env');
  return validateEnv({ ...process.env });
}

/** The first line of standard input (`--password -`), so a password stays out of the shell history. */
async function readStdinLine(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('Password: ');
  const lines = createInterface({ input: process.stdin, terminal: false });
  try {
    for await (const line of lines) return line;
    return '';
  } finally {
    lines.close();
  }
}
