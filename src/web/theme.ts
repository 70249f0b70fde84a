import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

/** The council's look for the staff pages (config/theme.yaml). */
export interface Theme {
  councilName: string;
  /** #rrggbb, dark enough for white text. */
  colour: string;
  /** A darker shade of `colour` for hover and borders. */
  colourDark: string;
  homepageUrl?: string;
}

export const DEFAULT_THEME: Theme = { councilName: 'Your council', colour: '#1d4f76', colourDark: shade('#1d4f76', 0.7) };

const HEX = /^#[0-9a-f]{6}$/i;
/** WCAG 1.4.3: white header text on the council colour. */
const MIN_CONTRAST = 4.5;

/** Reads theme.yaml from the council's config folder; a missing file gives the defaults, a bad entry stops start-up. */
export function loadTheme(configDir: string): Theme {
  const file = join(configDir, 'theme.yaml');
  if (!existsSync(file)) return DEFAULT_THEME;
  let raw: Record<string, unknown>;
  try {
    raw = (parse(readFileSync(file, 'utf8')) ?? {}) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`Council configuration ${file} cannot be read: ${(e as Error).message}`);
  }
  const fail = (field: string, problem: string): never => {
    throw new Error(`Council configuration theme.yaml: ${field} ${problem}`);
  };
  const councilName = raw.councilName ?? DEFAULT_THEME.councilName;
  if (typeof councilName !== 'string' || !councilName.trim() || councilName.length > 120) fail('councilName', 'must be a name of 1 to 120 characters');
  const colour = raw.colour ?? DEFAULT_THEME.colour;
  if (typeof colour !== 'string' || !HEX.test(colour)) fail('colour', `must be a colour like "#1d4f76" (got ${JSON.stringify(colour)})`);
  const ratio = contrastWithWhite(colour as string);
  if (ratio < MIN_CONTRAST) fail('colour', `${colour} gives ${ratio.toFixed(1)}:1 contrast with white text; choose a darker colour (${MIN_CONTRAST}:1 or more)`);
  const homepageUrl = raw.homepageUrl ?? undefined;
  if (homepageUrl !== undefined && homepageUrl !== null && (typeof homepageUrl !== 'string' || !/^https?:\/\//.test(homepageUrl))) {
    fail('homepageUrl', 'must be an http(s) address');
  }
  return {
    councilName: (councilName as string).trim(),
    colour: (colour as string).toLowerCase(),
    colourDark: shade(colour as string, 0.7),
    homepageUrl: (homepageUrl as string | null | undefined) || undefined,
  };
}

/** The theme as CSS custom properties, for /assets/theme.css. */
export function themeCss(theme: Theme): string {
  return `:root{--hub-council-colour:${theme.colour};--hub-council-colour-dark:${theme.colourDark};--govuk-brand-colour:${theme.colour}}\n`;
}

function channels(hex: string): number[] {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
}

function contrastWithWhite(hex: string): number {
  const [r, g, b] = channels(hex).map((c) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  });
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return 1.05 / (luminance + 0.05);
}

function shade(hex: string, factor: number): string {
  return `#${channels(hex)
    .map((c) => Math.round(c * factor).toString(16).padStart(2, '0'))
    .join('')}`;
}
