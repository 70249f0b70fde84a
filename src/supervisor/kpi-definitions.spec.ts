import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { averageSpeedOfAnswer, KPI_DEFINITIONS, serviceLevel } from './kpi-definitions';

describe('KPI_DEFINITIONS', () => {
  const doc = readFileSync(join(__dirname, '../../docs/metrics.md'), 'utf8');

  it.each(Object.entries(KPI_DEFINITIONS))('docs/metrics.md quotes the definition of %s word for word', (key, { label, definition }) => {
    expect(doc).toContain(`| ${label} | \`${key}\` | ${definition} |`);
  });
});

describe('serviceLevel', () => {
  it('divides answered within target by offered, and is null when nothing was offered', () => {
    expect(serviceLevel(3, 4)).toBe(0.75);
    expect(serviceLevel(0, 0)).toBeNull();
  });
});

describe('averageSpeedOfAnswer', () => {
  it('is the mean to the millisecond, and null when nothing was answered', () => {
    expect(averageSpeedOfAnswer(10, 3)).toBe(3.333);
    expect(averageSpeedOfAnswer(0, 0)).toBeNull();
  });
});
