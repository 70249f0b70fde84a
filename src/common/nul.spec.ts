import { withoutNul } from './nul';

describe('withoutNul', () => {
  it('drops NUL from strings deep in arrays and plain objects', () => {
    const input = { text: 'a\u0000b', from: { address: '\u0000x@example.org', name: 'N\u0000' }, tags: ['ok', 'b\u0000ad'], n: 1, flag: true, none: null };
    expect(withoutNul(input)).toEqual({ text: 'ab', from: { address: 'x@example.org', name: 'N' }, tags: ['ok', 'bad'], n: 1, flag: true, none: null });
    expect(input.text).toBe('a\u0000b'); // the input is not changed
  });

  it('returns the same reference when there is nothing to drop', () => {
    const input = { text: 'plain', nested: { list: ['a', 'b'] } };
    expect(withoutNul(input)).toBe(input);
    expect(withoutNul('plain')).toBe('plain');
  });

  it('leaves Dates, Buffers and class instances as they are', () => {
    const at = new Date('2026-11-27T12:00:00Z');
    const bytes = Buffer.from('a\u0000b');
    const out = withoutNul({ at, bytes, text: '\u0000' });
    expect(out.at).toBe(at);
    expect(out.bytes).toBe(bytes);
    expect(out.text).toBe('');
  });
});
