import { COMMANDS, helpText, intFlag, listFlag, parseCommand, UsageError } from './cli-args';

describe('parseCommand', () => {
  it('reads a command and its flags', () => {
    expect(parseCommand(['inbox:create', '--channel', 'api', '--name', 'Portal', '--department', 'waste', '--callback-url=https://x.example/cb'])).toEqual({
      command: 'inbox:create',
      flags: { channel: 'api', name: 'Portal', department: 'waste', 'callback-url': 'https://x.example/cb' },
    });
  });

  it('treats no command, --help and -h as help', () => {
    for (const argv of [[], ['--help'], ['-h'], ['help']]) expect(parseCommand(argv).command).toBe('help');
  });

  it('answers --help on a command without asking for its required flags', () => {
    expect(parseCommand(['agent:create', '--help'])).toEqual({ command: 'agent:create', flags: { help: true } });
  });

  it.each([
    [['launch'], 'unknown command "launch"'],
    [['toString'], 'unknown command "toString"'],
    [['migrate', '--force'], 'migrate: unknown flag --force'],
    [['seed', 'now'], 'seed: unexpected argument now'],
    [['inbox:create', '--channel', 'api', '--name', 'X'], 'inbox:create: missing --department'],
    [['inbox:create', '--channel', 'api', '--name', '  ', '--department', 'waste'], 'inbox:create: --name needs a value'],
    [['agent:create', '--email'], 'agent:create: --email needs a value'],
    [['agent:create', '--email', 'a@b.example', '--name', 'A', '--role', 'boss', '--password', 'x'], 'agent:create: --role must be one of agent, supervisor, admin'],
    [['agent:create', '--email', 'a@b.example', '--name', 'A', '--role', 'agent', '--password', 'x', '--capacity', '2.5'], 'agent:create: --capacity must be a whole number'],
    [['inbox:create', '--channel', 'fax', '--name', 'X', '--department', 'waste'], 'inbox:create: --channel must be one of api, webchat'],
  ])('%j is a UsageError: %s', (argv, message) => {
    expect(() => parseCommand(argv)).toThrow(UsageError);
    expect(() => parseCommand(argv)).toThrow(message);
  });
});

describe('flag values', () => {
  it('splits a comma list, dropping blanks', () => {
    expect(listFlag(' waste, housing,,')).toEqual(['waste', 'housing']);
    expect(listFlag(undefined)).toEqual([]);
  });

  it('reads a whole number', () => {
    expect(intFlag('4')).toBe(4);
    expect(intFlag(undefined)).toBeUndefined();
  });
});

it('help names every command', () => {
  for (const name of Object.keys(COMMANDS)) expect(helpText()).toContain(name);
});
