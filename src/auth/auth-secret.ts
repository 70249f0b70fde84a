import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Env } from '../config/env';

/**
 * The key that signs staff tokens: AUTH_SECRET, or (zero-setup mode) one generated once and kept in
 * DATA_DIR/auth-secret, readable by this user only, so sessions survive a restart.
 */
export function resolveAuthSecret(env: Env): string {
  if (env.AUTH_SECRET) return env.AUTH_SECRET;
  if (env.DATABASE_URL) {
    // Production refuses this at start-up (validateEnv); elsewhere warn, because processes sharing the database
    // but not the data folder would not accept each other's tokens.
    new Logger('Auth').warn('AUTH_SECRET is unset: using a generated secret from DATA_DIR (set AUTH_SECRET when several processes share the database)');
  }
  const dir = resolve(env.DATA_DIR);
  const path = join(dir, 'auth-secret');
  try {
    const stored = readFileSync(path, 'utf8').trim();
    if (stored.length >= 32) return stored;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  mkdirSync(dir, { recursive: true });
  const secret = randomBytes(48).toString('base64url');
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // the mode above is masked by umask and ignored when the file already existed
  return secret;
}
