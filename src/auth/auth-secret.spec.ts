import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Env } from '../config/env';
import { resolveAuthSecret } from './auth-secret';

describe('resolveAuthSecret', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-secret-'));
  });

  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const env = (values: Partial<Env>) => Object.assign(new Env(), { DATA_DIR: join(dir, 'data'), ...values });

  it('uses AUTH_SECRET when it is set, writing nothing', () => {
    expect(resolveAuthSecret(env({ AUTH_SECRET: 'x'.repeat(40) }))).toBe('x'.repeat(40));
    expect(() => statSync(join(dir, 'data', 'auth-secret'))).toThrow();
  });

  it('generates a secret once in DATA_DIR/auth-secret, readable by this user only, and reuses it', () => {
    const first = resolveAuthSecret(env({}));
    const path = join(dir, 'data', 'auth-secret');
    expect(first.length).toBeGreaterThanOrEqual(32);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8').trim()).toBe(first);
    expect(resolveAuthSecret(env({}))).toBe(first);
  });
});
