// Builds the browser code into dist/web: one script and one stylesheet per page.
// `node web/build.mjs` (npm run build:web); type-checking is `tsc -p web/tsconfig.json` (also in build:web).
import { build } from 'esbuild';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'dist', 'web');
const require = createRequire(import.meta.url);

/** Each page: its script entry and its own stylesheet, written as <name>.js and <name>.css. */
const PAGES = [
  { name: 'console', script: 'web/console/main.ts', style: 'web/console/console.css' },
  { name: 'supervisor', script: 'web/supervisor/main.ts', style: 'web/supervisor/supervisor.css' },
];

/**
 * GOV.UK Frontend's precompiled CSS, made fit for a council service: the GDS Transport font is for GOV.UK only,
 * so its @font-face rules go and the font stack falls back to Helvetica/Arial; image URLs point where the hub
 * serves GOV.UK Frontend's assets (/assets/govuk/).
 */
async function govukCss() {
  const path = join(dirname(require.resolve('govuk-frontend/package.json')), 'dist/govuk/govuk-frontend.min.css');
  let css = await readFile(path, 'utf8');
  css = css
    .replace(/@font-face\{font-family:GDS Transport;[^}]*\}/g, '')
    .replace(/font-family:GDS Transport,arial,sans-serif/g, 'font-family:helvetica,arial,sans-serif')
    .replace(/url\(\/assets\/images\//g, 'url(/assets/govuk/images/')
    .replace(/\/\*# sourceMappingURL=[^*]*\*\//g, '');
  if (css.includes('GDS Transport')) throw new Error('govuk-frontend CSS still names GDS Transport: update web/build.mjs for this version');
  return css;
}

/** One browser script: every page's, and the widget's, built alike; only the source map's placement differs. */
function bundleScript(name, entry, sourcemap) {
  return build({
    absWorkingDir: root,
    entryPoints: { [name]: entry },
    outdir: out,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify: true,
    sourcemap,
    legalComments: 'eof',
    logLevel: 'warning',
  });
}

/** <name>.css: GOV.UK Frontend's CSS, then the page's own stylesheet. */
async function bundleStyle(name, entry, govuk) {
  const own = await build({ absWorkingDir: root, entryPoints: [entry], bundle: true, minify: true, write: false, logLevel: 'warning' });
  await writeFile(join(out, `${name}.css`), `${govuk}\n${own.outputFiles[0].text}`);
}

await mkdir(out, { recursive: true });
const govuk = await govukCss();
for (const page of PAGES) {
  await bundleScript(page.name, page.script, 'linked');
  await bundleStyle(page.name, page.style, govuk);
}
console.log(`web: built ${PAGES.map((p) => `${p.name}.js, ${p.name}.css`).join('; ')} into ${out}`);

// The web chat widget (/widget.js) runs on council sites, not on a page of ours: one self-contained minified script
// (its CSS travels inside it, into a shadow root), with an external source map so the script names none. The
// /demo page, a sample council page carrying the widget, gets GOV.UK Frontend's CSS plus its own.
await bundleScript('widget', 'web/widget/main.ts', 'external');
await bundleStyle('demo', 'web/widget/demo.css', govuk);
console.log(`web: built widget.js, demo.css into ${out}`);
