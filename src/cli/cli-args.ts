import { parseArgs, ParseArgsConfig } from 'node:util';
import { AgentRole, Channel, enumValues } from '../common/enum';

/** A mistake on the command line: the message names the command or flag; the process exits with 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

type Options = NonNullable<ParseArgsConfig['options']>;

interface CommandSpec {
  summary: string;
  /** Flags after the command name, as shown in help. */
  usage: string;
  options: Options;
  required: string[];
  /** Flags whose value must be one of a list. */
  choices?: Record<string, string[]>;
  /** Flags whose value must be a whole number. */
  integers?: string[];
}

const help = { help: { type: 'boolean', short: 'h' } } as const satisfies Options;

/** The admin command line (architecture brief §3). Extend it; do not rename a command or flag. */
export const COMMANDS = {
  migrate: {
    summary: 'Run pending database migrations: PostgreSQL at DATABASE_URL, or the embedded database in DATA_DIR',
    usage: '',
    options: { ...help },
    required: [],
  },
  seed: {
    summary: 'Sync the service catalogue and create the demo council (demo data: never on a live hub); safe to repeat',
    usage: '',
    options: { ...help },
    required: [],
  },
  'agent:create': {
    summary: 'Create a staff account',
    usage: '--email <email> --name <name> --role agent|supervisor|admin --departments <slug,slug> --password <password|-> [--capacity <n>] [--json]',
    options: {
      ...help,
      email: { type: 'string' },
      name: { type: 'string' },
      role: { type: 'string' },
      departments: { type: 'string' },
      password: { type: 'string' },
      capacity: { type: 'string' },
      json: { type: 'boolean' },
    },
    required: ['email', 'name', 'role', 'password'],
    choices: { role: enumValues(AgentRole) },
    integers: ['capacity'],
  },
  'inbox:create': {
    summary: 'Create an inbox and print its token and secret (shown once)',
    usage:
      '--channel <channel> --name <name> --department <slug> [--callback-url <url>] [--address <address>] [--json]\n' +
      '    sms, whatsapp (Twilio): --account-sid AC… --auth-token <token|-> (--from-number +44… | --messaging-service-sid MG…)\n' +
      '                            [--status-callback <url>] [--whatsapp-provider twilio|meta]\n' +
      '    whatsapp (Meta Cloud):  --whatsapp-provider meta --address <phone_number_id> --access-token <token|->\n' +
      '    messenger, instagram:   --address <page or account id> --page-access-token <token|-> [--page-id <id>] [--human-agent-tag]\n' +
      '    slack:                  [--address <team id T…>] [--bot-token <xoxb-…|->]\n' +
      '    webchat:                [--council <name shown in the widget>] [--email-inbox <email inbox id or address>]',
    options: {
      ...help,
      channel: { type: 'string' },
      name: { type: 'string' },
      department: { type: 'string' },
      'callback-url': { type: 'string' },
      address: { type: 'string' },
      json: { type: 'boolean' },
      'account-sid': { type: 'string' },
      'auth-token': { type: 'string' },
      'messaging-service-sid': { type: 'string' },
      'from-number': { type: 'string' },
      'whatsapp-provider': { type: 'string' },
      'status-callback': { type: 'string' },
      'page-access-token': { type: 'string' },
      'page-id': { type: 'string' },
      'human-agent-tag': { type: 'boolean' },
      'access-token': { type: 'string' },
      'bot-token': { type: 'string' },
      council: { type: 'string' },
      'email-inbox': { type: 'string' },
    },
    required: ['channel', 'name', 'department'],
    choices: { channel: enumValues(Channel) },
  },
  help: {
    summary: 'Show this help',
    usage: '',
    options: {},
    required: [],
  },
} satisfies Record<string, CommandSpec>;

export type CommandName = keyof typeof COMMANDS;

export interface ParsedCommand {
  command: CommandName;
  flags: Record<string, string | boolean | undefined>;
}

/** Parses `<command> [flags]`; throws UsageError naming the unknown command, unknown flag or missing flag. */
export function parseCommand(argv: string[]): ParsedCommand {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h') return { command: 'help', flags: {} };
  if (!Object.hasOwn(COMMANDS, name)) throw new UsageError(`unknown command "${name}"`);
  const command = name as CommandName;
  const spec: CommandSpec = COMMANDS[command];
  let values: Record<string, string | boolean | undefined>;
  try {
    // No option is `multiple`, so every value is a string or a boolean.
    values = parseArgs({ args: rest, options: spec.options, strict: true, allowPositionals: false }).values as typeof values;
  } catch (e) {
    throw new UsageError(`${command}: ${describeParseError(e as Error & { code?: string })}`);
  }
  if (values.help) return { command, flags: { help: true } };
  for (const flag of spec.required) {
    const value = values[flag];
    if (value === undefined) throw new UsageError(`${command}: missing --${flag}`);
    if (typeof value === 'string' && !value.trim()) throw new UsageError(`${command}: --${flag} needs a value`);
  }
  for (const [flag, allowed] of Object.entries(spec.choices ?? {})) {
    const value = values[flag];
    if (value !== undefined && !allowed.includes(String(value))) throw new UsageError(`${command}: --${flag} must be one of ${allowed.join(', ')}`);
  }
  for (const flag of spec.integers ?? []) {
    const value = values[flag];
    if (value !== undefined && !/^\d+$/.test(String(value).trim())) throw new UsageError(`${command}: --${flag} must be a whole number`);
  }
  return { command, flags: values };
}

function describeParseError(e: Error & { code?: string }): string {
  const flag = /'(-[^' ]+)/.exec(e.message)?.[1];
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown flag ${flag ?? e.message}`;
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return flag ? `${flag} needs a value` : e.message;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return `unexpected argument ${/'([^']*)'/.exec(e.message)?.[1] ?? ''}: values go after a flag, such as --name "Council Tax"`;
    default:
      return e.message;
  }
}

/** `a, b,,c` → ['a', 'b', 'c']. */
export function listFlag(value: string | boolean | undefined): string[] {
  return typeof value === 'string' ? value.split(',').map((s) => s.trim()).filter(Boolean) : [];
}

/** An optional whole-number flag, already checked by parseCommand. */
export function intFlag(value: string | boolean | undefined): number | undefined {
  return typeof value === 'string' ? Number(value.trim()) : undefined;
}

export function helpText(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([n, spec]) => {
    const usage = spec.usage ? `\n  ${' '.repeat(width)}  ${spec.usage}` : '';
    return `  ${n.padEnd(width)}  ${spec.summary}${usage}`;
  });
  return [
    'Contact Hub admin command line',
    '',
    'Usage: npm run hub -- <command> [flags]      (or: node dist/src/cli/hub.js <command> [flags])',
    '',
    'Commands:',
    ...lines,
    '',
    'The database and other settings come from the environment and .env (see config/.env.example).',
    'With --password - the password is read from standard input, so it stays out of the shell history.',
    'LOG_LEVEL=debug shows the hub\'s own logs as well.',
    'Exit codes: 0 done, 1 failed, 2 bad command, flag or value.',
  ].join('\n');
}

export function commandHelp(command: CommandName): string {
  const spec: CommandSpec = COMMANDS[command];
  return `${spec.summary}\n\nUsage: npm run hub -- ${command}${spec.usage ? ` ${spec.usage}` : ''}`;
}
