import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_THEME, loadTheme, themeCss } from './theme';

describe(loadTheme.name, () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'hub-theme-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const write = (yaml: string) => writeFileSync(join(dir, 'theme.yaml'), yaml);

  it('gives the defaults when the council has no theme.yaml', () => {
    expect(loadTheme(dir)).toEqual(DEFAULT_THEME);
  });

  it('reads the council name, colour and home page, with a darker shade for borders', () => {
    write('councilName: " Anytown Borough Council "\ncolour: "#1D4F76"\nhomepageUrl: https://www.anytown.gov.uk\n');
    const sut = loadTheme(dir);
    expect(sut).toEqual({ councilName: 'Anytown Borough Council', colour: '#1d4f76', colourDark: '#143753', homepageUrl: 'https://www.anytown.gov.uk' });
    expect(themeCss(sut)).toContain('--hub-council-colour:#1d4f76');
  });

  it('refuses a colour too pale for white header text, naming the file, the field and the contrast', () => {
    write('councilName: Anytown\ncolour: "#ffdd00"\n');
    expect(() => loadTheme(dir)).toThrow(/theme\.yaml: colour #ffdd00 gives 1\.\d:1 contrast with white text/);
  });

  it('refuses a colour that is not #rrggbb and a home page that is not a web address', () => {
    write('colour: blue\n');
    expect(() => loadTheme(dir)).toThrow(/theme\.yaml: colour must be a colour like/);
    write('homepageUrl: javascript:alert(1)\n');
    expect(() => loadTheme(dir)).toThrow(/theme\.yaml: homepageUrl must be an http\(s\) address/);
  });
});
