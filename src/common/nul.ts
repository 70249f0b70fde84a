/**
 * PostgreSQL's text and jsonb cannot hold U+0000, so a NUL from outside (a JSON "\u0000", a form field, an email)
 * would fail the statement that stores it, or the lookup that comes first: a 500 for input that is merely odd. A NUL
 * means nothing in any text the hub keeps, so it is dropped at each door outside strings come in by:
 * - every JSON request body (the parser's reviver, src/common/body-parsers.ts), webhooks included;
 * - validated input (validateDto): query strings, form bodies and socket payloads;
 * - Twilio's webhook parameters (requestParams) and parsed mail (EmailReceiver.receive), which are looked up
 *   before intake;
 * - every inbound message, whatever the channel (IntakeService.receive), so a new channel needs no care of its own.
 *
 * Strings, arrays and plain objects are walked; anything else (a Date, a Buffer) is left as it is. A value with no
 * NUL comes back as the same reference, so the common case allocates nothing.
 */
export function withoutNul<T>(value: T): T {
  if (typeof value === 'string') return (value.includes('\u0000') ? value.replace(/\u0000/g, '') : value) as T;
  if (Array.isArray(value)) {
    const items = value.map((item: unknown) => withoutNul(item));
    return (items.some((item, i) => item !== value[i]) ? items : value) as T;
  }
  if (value === null || typeof value !== 'object' || !isPlain(value)) return value;
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const clean = withoutNul(item);
    if (clean !== item) (copy ??= { ...(value as Record<string, unknown>) })[key] = clean;
  }
  return (copy ?? value) as T;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
