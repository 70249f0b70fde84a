import { Injectable, Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Env } from '../config/env';
import { CONSOLE_PAGE, faviconSvg, staffPage, SUPERVISOR_PAGE } from './staff-page';
import { loadTheme, Theme, themeCss } from './theme';

/** The repository root (where package.json is), whether this runs from src/ (ts-jest) or dist/src/ (built). */
function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
  return dir;
}

/**
 * Where the staff pages' files are and what they say: the browser bundle built by `npm run build:web` (dist/web),
 * GOV.UK Frontend's fonts-free assets straight from node_modules, and the council theme, rendered once at start-up.
 */
@Injectable()
export class WebAssets {
  readonly builtDir: string;
  readonly govukAssetsDir: string;
  readonly theme: Theme;
  readonly consoleHtml: string;
  readonly supervisorHtml: string;
  readonly themeCss: string;
  readonly favicon: string;

  constructor(env: Env) {
    this.builtDir = join(projectRoot(), 'dist', 'web');
    this.govukAssetsDir = join(dirname(require.resolve('govuk-frontend/package.json')), 'dist', 'govuk', 'assets');
    this.theme = loadTheme(resolve(env.CONFIG_DIR));
    this.consoleHtml = staffPage(this.theme, CONSOLE_PAGE);
    this.supervisorHtml = staffPage(this.theme, SUPERVISOR_PAGE);
    this.themeCss = themeCss(this.theme);
    this.favicon = faviconSvg(this.theme);
    if (!existsSync(join(this.builtDir, 'console.js'))) {
      new Logger('Web').warn(`${join(this.builtDir, 'console.js')} is missing: run \`npm run build:web\` for the /console page to work`);
    }
  }
}
