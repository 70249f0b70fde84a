import { HubError } from './errors';

/**
 * Opaque paging cursors: the last row's sort key, base64url-encoded JSON. Clients pass them back untouched;
 * anything else is a Validation error naming `cursor`.
 */
export function encodeCursor(key: Record<string, string | number>): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

export function decodeCursor<K>(cursor: string | undefined, isKey: (value: unknown) => value is K): K | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!isKey(value)) throw HubError.validation('cursor: not a cursor this API gave out (pass nextCursor back unchanged)', { field: 'cursor' });
  return value;
}
