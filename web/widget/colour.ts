/**
 * The council's colour from data-colour, made safe for white text on it (WCAG 1.4.3, 4.5:1): a colour too pale is
 * darkened step by step until it passes, and anything that is not a hex colour gives the default.
 */

export const DEFAULT_COLOUR = '#1d70b8';
const MIN_CONTRAST = 4.5;

export function accessibleColour(given: string | null | undefined): string {
  const rgb = parseHex(given ?? '') ?? parseHex(DEFAULT_COLOUR)!;
  let [r, g, b] = rgb;
  while (contrastWithWhite(r, g, b) < MIN_CONTRAST) {
    [r, g, b] = [r, g, b].map((c) => Math.floor(c * 0.92));
  }
  return toHex(r, g, b);
}

/** A darker shade of the same colour, for hover and borders. */
export function darker(hex: string, factor = 0.75): string {
  const [r, g, b] = parseHex(hex)!;
  return toHex(...([r, g, b].map((c) => Math.round(c * factor)) as [number, number, number]));
}

export function contrastWithWhite(r: number, g: number, b: number): number {
  const [lr, lg, lb] = [r, g, b].map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  return 1.05 / (0.2126 * lr + 0.7152 * lg + 0.0722 * lb + 0.05);
}

export function parseHex(value: string): [number, number, number] | null {
  const v = value.trim().toLowerCase();
  const long = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/.exec(v);
  if (long) return [parseInt(long[1], 16), parseInt(long[2], 16), parseInt(long[3], 16)];
  const short = /^#([0-9a-f])([0-9a-f])([0-9a-f])$/.exec(v);
  if (short) return [parseInt(short[1] + short[1], 16), parseInt(short[2] + short[2], 16), parseInt(short[3] + short[3], 16)];
  return null;
}

function toHex(r: number, g: number, b: number): string {
  return `#${[r, g, b].map((c) => c.toString(16).padStart(2, '0')).join('')}`;
}
