/**
 * Removes payment card numbers before anything is stored (PCI DSS: the hub must never hold a PAN).
 * A card number is 13–19 digits, contiguous or in the groupings cards are printed in (4-4-4-4, 4-4-4-4-3,
 * Amex 4-6-5, 4-4-4-1..7), passing the Luhn check. An expiry date or security code next to one goes too.
 * Grouping matters: a phone number followed by a property reference is a run of digits that can pass Luhn
 * by chance, but it is not printed like a card.
 */
export interface RedactionResult {
  text: string;
  cardNumbers: number;
  expiryDates: number;
  securityCodes: number;
}

export const CARD_PLACEHOLDER = '[card number removed]';
const EXPIRY_PLACEHOLDER = '[expiry date removed]';
const CODE_PLACEHOLDER = '[security code removed]';

const DIGIT_RUN = /\d+(?:[ -]\d+)*/g;
const NEIGHBOURHOOD = 40;

export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function looksLikeCardGrouping(groups: number[]): boolean {
  if (groups.length === 1) return true;
  if (groups.length === 3 && groups[0] === 4 && groups[1] === 6 && (groups[2] === 5 || groups[2] === 4)) return true;
  const last = groups[groups.length - 1];
  return groups.slice(0, -1).every((g) => g === 4) && last >= 1 && last <= 4;
}

/** Finds card numbers inside one run of digit groups; returns [start, end) offsets within the run. */
function cardSpansInRun(run: string): Array<[number, number]> {
  const groups: Array<{ start: number; end: number }> = [];
  for (const m of run.matchAll(/\d+/g)) groups.push({ start: m.index!, end: m.index! + m[0].length });
  const spans: Array<[number, number]> = [];
  let i = 0;
  while (i < groups.length) {
    let found = 0;
    for (let j = groups.length - 1; j >= i && !found; j--) {
      const slice = groups.slice(i, j + 1);
      const digits = slice.map((g) => run.slice(g.start, g.end)).join('');
      if (digits.length < 13 || digits.length > 19) continue;
      if (!looksLikeCardGrouping(slice.map((g) => g.end - g.start))) continue;
      if (!luhnValid(digits)) continue;
      spans.push([groups[i].start, groups[j].end]);
      found = j - i + 1;
    }
    i += found || 1;
  }
  return spans;
}

export function redactCardData(input: string): RedactionResult {
  const result: RedactionResult = { text: input, cardNumbers: 0, expiryDates: 0, securityCodes: 0 };
  if (!/\d{4}/.test(input)) return result;
  const spans: Array<[number, number]> = [];
  for (const m of input.matchAll(DIGIT_RUN)) {
    for (const [s, e] of cardSpansInRun(m[0])) spans.push([m.index! + s, m.index! + e]);
  }
  if (spans.length === 0) return result;
  let out = '';
  let cursor = 0;
  for (const [start, end] of spans) {
    out += redactNeighbours(input.slice(cursor, start), 'before', result) + CARD_PLACEHOLDER;
    cursor = end;
    result.cardNumbers++;
  }
  out += redactNeighbours(input.slice(cursor), 'after', result);
  result.text = out;
  return result;
}

// Not part of a longer group of digits (a phone number after the card number is not its security code).
const EXPIRY = /(?<!\d[ -]?)\b(0?[1-9]|1[0-2])\s?[/-]\s?(\d{4}|\d{2})\b(?![ -]?\d)/g;
const SECURITY_CODE = /(?<!\d[ -]?)\b\d{3,4}\b(?![ -]?\d)/g;

/**
 * Redacts expiry dates and a security code starting within a short distance of a removed card number.
 * Whole tokens only: a number that starts inside the window is judged whole, never cut at its edge.
 */
function redactNeighbours(segment: string, side: 'before' | 'after', tally: RedactionResult): string {
  const near = (index: number, length: number) =>
    side === 'after' ? index < NEIGHBOURHOOD : index + length > segment.length - NEIGHBOURHOOD;
  let codes = 0;
  let cleaned = segment.replace(EXPIRY, (match, _m, _y, index: number) => {
    if (!near(index, match.length)) return match;
    tally.expiryDates++;
    return EXPIRY_PLACEHOLDER;
  });
  // A security code is written after the number; digits before it are more likely an order or house number.
  if (side === 'after') {
    cleaned = cleaned.replace(SECURITY_CODE, (match, index: number) => {
      if (codes > 0 || !near(index, match.length)) return match;
      codes++;
      tally.securityCodes++;
      return CODE_PLACEHOLDER;
    });
  }
  return cleaned;
}
