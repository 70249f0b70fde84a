import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';

/** Where Debian's dovecot-imapd puts the server (.ci/run installs it when missing). */
const DOVECOT = ['/usr/sbin/dovecot', '/usr/local/sbin/dovecot'].find((path) => existsSync(path));
const DOVEADM = ['/usr/bin/doveadm', '/usr/local/bin/doveadm'].find((path) => existsSync(path)) ?? 'doveadm';

export interface ImapUser {
  user: string;
  pass: string;
}

/** A throwaway Dovecot on 127.0.0.1: its own config, users, maildirs and log in a temporary folder. */
export interface ImapServer {
  host: string;
  port: number;
  /** The mailbox user the hub polls as. */
  account: ImapUser;
  /** A client logged in as `account`, for seeding mail and looking at flags the way a mail client would. */
  client(): Promise<ImapFlow>;
  /** Drops every IMAP session of `account` (`doveadm kick`), as a network failure or a server restart would. */
  kick(): void;
  /** Dovecot's own log (logins refused, mailboxes deleted under a session), for a failing test's message. */
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts Dovecot in the foreground (`dovecot -F -c <conf>`) as a throwaway instance. No TLS (loopback only),
 * plain-text LOGIN allowed, one passwd-file user with a plain password, Maildir under the temporary folder.
 * Run as root, the mail processes use `nobody` (Dovecot refuses mail access as root); otherwise everything
 * runs as the current user. Throws — so the test fails, never skips — when Dovecot is not installed.
 */
export async function startImapServer(): Promise<ImapServer> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce();
    } catch (e) {
      // The free port can be taken by another process between our probe and Dovecot's bind: try another one.
      if (attempt === 3 || !/Address already in use/.test((e as Error).message)) throw e;
    }
  }
}

async function startOnce(): Promise<ImapServer> {
  if (!DOVECOT) throw new Error('Dovecot is not installed: `apt-get install dovecot-imapd` (.ci/run installs it)');
  const dir = mkdtempSync(join(tmpdir(), 'hub-dovecot-'));
  chmodSync(dir, 0o755); // the mail processes (nobody, when run as root) must reach their maildir
  const port = await freePort();
  const account: ImapUser = { user: 'council-tax', pass: `pw-${process.pid}-${Date.now()}` };
  const conf = join(dir, 'dovecot.conf');
  writeFileSync(join(dir, 'passwd'), `${account.user}:{PLAIN}${account.pass}::::::\n`);
  writeFileSync(conf, config(dir, port));
  for (const sub of ['run', 'state', 'mail']) mkdirSync(join(dir, sub));
  if (process.getuid?.() === 0) execFileSync('chown', ['nobody:', join(dir, 'mail')]);

  const child = spawn(DOVECOT, ['-F', '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const log = () => `${output}${existsSync(join(dir, 'dovecot.log')) ? readFileSync(join(dir, 'dovecot.log'), 'utf8') : ''}`;
  try {
    await listening(child, port, log);
  } catch (e) {
    await stopProcess(child);
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }

  const host = '127.0.0.1';
  return {
    host,
    port,
    account,
    log,
    kick: () => void execFileSync(DOVEADM, ['-c', conf, 'kick', account.user], { stdio: 'pipe' }),
    client: async () => {
      const client = new ImapFlow({ host, port, secure: false, auth: account, logger: false });
      await client.connect();
      return client;
    },
    stop: async () => {
      await stopProcess(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function config(dir: string, port: number): string {
  const asRoot = process.getuid?.() === 0;
  const mailUser = asRoot ? 'nobody' : userInfo().username;
  const ids = (flag: string) => execFileSync('id', [flag, mailUser]).toString().trim();
  return `
# A throwaway test instance: nothing here is meant for production.
protocols = imap
listen = 127.0.0.1
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = hub-test-${port}
log_path = ${dir}/dovecot.log
info_log_path = ${dir}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
${asRoot ? '' : `default_internal_user = ${mailUser}\ndefault_internal_group = ${ids('-gn')}\ndefault_login_user = ${mailUser}\n`}
mail_location = maildir:${dir}/mail/%u
first_valid_uid = 1 # an ordinary user's uid may be low in a container
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${ids('-u')} gid=${ids('-g')} home=${dir}/mail/%u
}
# No chroot: only root may chroot, and this instance may run as an ordinary user.
service anvil {
  chroot =
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    port = 0
  }
}
`;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves once the server greets on `port`; rejects with Dovecot's own words if it exits first. */
async function listening(child: ChildProcess, port: number, log: () => string): Promise<void> {
  let exited: string | undefined;
  child.once('exit', (code, signal) => (exited = `dovecot exited (${code ?? signal})`));
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`${exited}:\n${log()}`);
    if (await greets(port)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`dovecot did not answer on port ${port} within 15 s:\n${log()}`);
}

function greets(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = new Socket();
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.once('data', (d: Buffer) => done(d.toString().startsWith('* OK')));
    socket.once('error', () => done(false));
    socket.once('close', () => done(false)); // closed unanswered: no login process yet
    socket.setTimeout(1000, () => done(false));
    socket.connect(port, '127.0.0.1');
  });
}

async function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}
