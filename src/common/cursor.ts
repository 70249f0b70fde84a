import { HubError } from './errors';

/**
 * Opaque paging cursors: the last row's sort key, base64url-encoded JSON. Clients pass them back untouched;
 * anything else is a Validation error naming `cursor`.
 */
export function encodeCursor(key: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/** A database time as cursors carry it: UTC with microseconds, e.g. `2026-11-27T16:26:34.136000Z`. */
const CURSOR_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;
/** The earliest instant a cursor may carry: PostgreSQL has no year 0, so 0001-01-01 (its upper bound is past 9999). */
const CURSOR_TIME_MIN = Date.parse('0001-01-01T00:00:00.000Z');

/**
 * Whether `value` is a cursor time that names a real instant timestamptz can hold: the exact format, and a date and
 * time that exist (no month 13, no 30 February, no hour 24). Callers keep the string itself, microseconds included.
 */
export function isCursorTime(value: unknown): value is string {
  if (typeof value !== 'string' || !CURSOR_TIME.test(value)) return false;
  const ms = Date.parse(value);
  // Date.parse rolls some impossible dates over (2026-02-30 → 2026-03-02): it must give back what was written.
  return Number.isFinite(ms) && ms >= CURSOR_TIME_MIN && new Date(ms).toISOString().slice(0, 23) === value.slice(0, 23);
}

/** `field`: the name the error gives the cursor (the parameter it arrived in). */
export function decodeCursor<K>(cursor: string | undefined, isKey: (value: unknown) => value is K, field = 'cursor'): K | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!isKey(value)) throw HubError.validation(`${field}: not a cursor this API gave out (pass nextCursor back unchanged)`, { field });
  return value;
}
