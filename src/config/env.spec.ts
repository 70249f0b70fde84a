import { getMetadataStorage } from 'class-validator';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Env, validateEnv } from './env';

const EXAMPLE = join(__dirname, '..', '..', 'config', '.env.example');

/** NAME=value lines of the example, in order; comments and blank lines skipped. */
function exampleEntries(): [string, string][] {
  return readFileSync(EXAMPLE, 'utf8')
    .split('\n')
    .map((line) => /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim()))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => [m[1], m[2]]);
}

/** Every property of Env carries a validation decorator, so the metadata lists them all. */
function envProperties(): string[] {
  const metadata = getMetadataStorage().getTargetValidationMetadatas(Env, '', true, false);
  return [...new Set(metadata.map((m) => m.propertyName))];
}

describe('config/.env.example', () => {
  it('names exactly the variables of the Env class, each once', () => {
    const names = exampleEntries().map(([name]) => name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual(envProperties().sort());
  });

  it('gives every variable a comment above it', () => {
    const lines = readFileSync(EXAMPLE, 'utf8').split('\n');
    const uncommented = lines.filter((line, i) => /^[A-Z][A-Z0-9_]*=/.test(line) && !lines[i - 1]?.startsWith('#'));
    expect(uncommented).toEqual([]);
  });

  it('is a valid configuration as it stands', () => {
    expect(() => validateEnv(Object.fromEntries(exampleEntries()))).not.toThrow();
  });
});

describe('validateEnv', () => {
  it('applies the defaults to an empty environment', () => {
    const env = validateEnv({});
    expect(env).toMatchObject({ PORT: 3000, DATA_DIR: '.data', JOBS_WORKER: true, PROCESS_ROLE: 'all' });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it('rejects PORT=abc with a message naming PORT', () => {
    expect(() => validateEnv({ PORT: 'abc' })).toThrow(/PORT="abc"/);
  });

  it('rejects DATABASE_URL=mysql://x with a message naming DATABASE_URL', () => {
    expect(() => validateEnv({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL="mysql:\/\/x": must be a postgres:\/\/ URL/);
  });

  it('reads JOBS_WORKER as a boolean and rejects anything else by name', () => {
    expect(validateEnv({ JOBS_WORKER: 'false' }).JOBS_WORKER).toBe(false);
    expect(() => validateEnv({ JOBS_WORKER: 'sometimes' })).toThrow(/JOBS_WORKER="sometimes"/);
  });
});
