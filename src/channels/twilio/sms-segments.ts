/**
 * How an SMS will be split (channels.md §1, UK gotchas): GSM-7 text is 160 characters in one part, 153 per part when
 * split; a character outside GSM-7 makes the whole message UCS-2: 70 in one part, 67 per part when split. The
 * extension characters (€ [ ] { } \ ~ ^ |) cost two GSM-7 septets. Pure, so the console composer can use it too.
 */

const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENDED = '\f^{}\\[~]|€';

const BASIC = new Set(Array.from(GSM7_BASIC));
const EXTENDED = new Set(Array.from(GSM7_EXTENDED));

export type SmsEncoding = 'GSM-7' | 'UCS-2';

export interface SmsSegments {
  encoding: SmsEncoding;
  /** Characters as the resident sees them. */
  characters: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) the text takes. */
  units: number;
  segments: number;
  /** Units left in the last segment before another one starts. */
  remaining: number;
  /** The characters that forced UCS-2, each once, so the console can say which to replace. */
  nonGsm: string[];
}

export function smsSegments(text: string): SmsSegments {
  const chars = Array.from(text);
  const nonGsm = [...new Set(chars.filter((c) => !BASIC.has(c) && !EXTENDED.has(c)))];
  const encoding: SmsEncoding = nonGsm.length ? 'UCS-2' : 'GSM-7';
  const units = encoding === 'GSM-7' ? chars.reduce((n, c) => n + (EXTENDED.has(c) ? 2 : 1), 0) : text.length;
  const [single, multi] = encoding === 'GSM-7' ? [160, 153] : [70, 67];
  const segments = units === 0 ? 0 : units <= single ? 1 : Math.ceil(units / multi);
  const capacity = segments <= 1 ? single : segments * multi;
  return { encoding, characters: chars.length, units, segments, remaining: capacity - units, nonGsm };
}
