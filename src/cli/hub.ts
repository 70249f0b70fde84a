#!/usr/bin/env node
import { HubError } from '../common/errors';
import { commandHelp, helpText, parseCommand, UsageError } from './cli-args';

/**
 * `npm run hub -- <command>`: the admin command line (architecture brief §3). This entry point only parses and
 * reports; the commands (commands.ts) load the whole hub, so help and usage mistakes answer at once.
 * Exit codes: 0 done, 1 failed, 2 bad command, flag or value.
 */
export async function run(argv: string[]): Promise<number> {
  try {
    const parsed = parseCommand(argv);
    if (parsed.command === 'help') {
      process.stdout.write(`${helpText()}\n`);
      return 0;
    }
    if (parsed.flags.help) {
      process.stdout.write(`${commandHelp(parsed.command)}\n`);
      return 0;
    }
    const { dispatch } = await import('./commands');
    await dispatch(parsed);
    return 0;
  } catch (e) {
    return report(e, argv[0]);
  }
}

/** Prints what went wrong for an admin to act on; a stack only for what looks like a bug. */
function report(e: unknown, command: string | undefined): number {
  const prefix = 'hub: ';
  if (e instanceof UsageError) {
    process.stderr.write(`${prefix}${e.message}\nRun "npm run hub -- help" for the commands and their flags.\n`);
    return 2;
  }
  if (e instanceof HubError) {
    const field = typeof e.details?.field === 'string' ? `--${e.details.field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : undefined;
    const where = field && !e.message.includes(field) ? ` (${field})` : '';
    process.stderr.write(`${prefix}${command ? `${command}: ` : ''}${e.message}${where}\n`);
    return e.code === 'Validation' ? 2 : 1;
  }
  const err = e as Error & { code?: string };
  process.stderr.write(`${prefix}${isOperational(err) ? err.message : (err.stack ?? String(e))}\n`);
  return 1;
}

const OPERATIONAL_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'ETIMEDOUT', '3D000' /* no such database */, '28P01', '28000' /* auth */]);

function isOperational(e: Error & { code?: string }): boolean {
  if (e?.code && OPERATIONAL_CODES.has(e.code)) return true;
  return /^(Invalid environment|Council configuration)|pending migrations|is in use by process/.test(e?.message ?? '');
}

if (require.main === module) {
  void run(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // Everything is closed by now; should a stray handle remain, it must not keep an admin's terminal waiting.
    setTimeout(() => process.exit(code), 2000).unref();
  });
}
