import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** A council YAML file that must be a mapping of keys; one that cannot be read, or is not one, stops start-up naming it. */
export function readCouncilYaml(path: string): Record<string, unknown> {
  try {
    const doc = parse(readFileSync(path, 'utf8')) ?? {};
    if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('the file must be a mapping of keys');
    return doc as Record<string, unknown>;
  } catch (e) {
    throw new Error(`Council configuration ${path} cannot be read: ${(e as Error).message}`);
  }
}

/**
 * A misspelt key would be silently ignored: the check that refuses keys a file does not have, complaining through
 * the file's own `fail` (which names the file).
 */
export function knownKeys(fail: (where: string, problem: string) => never) {
  return (obj: Record<string, unknown>, keys: readonly string[], prefix: string): void => {
    for (const key of Object.keys(obj)) if (!keys.includes(key)) fail(`${prefix}${key}`, `is not a known key (expected ${keys.join(', ')})`);
  };
}
