import { KPI_DEFINITIONS, KpiKey } from '../../src/supervisor/kpi-definitions';

/**
 * The help text under each tile: the metrics module's definitions, word for word (the same text as docs/metrics.md
 * and the history), bundled from src/supervisor/kpi-definitions.ts rather than copied.
 */

/** The tiles of the dashboard, each named after the figure it shows. */
export type TileKey = 'waiting' | 'longestWait' | 'inProgress' | 'pendingOnResident' | 'agentsByPresence' | 'backlogAgeBands' | 'serviceLevel' | 'averageSpeedOfAnswer' | 'firstResponse' | 'abandoned';

/** Figures a tile also reports, whose definitions its help text gives too. */
const ALSO: Partial<Record<TileKey, KpiKey[]>> = {
  serviceLevel: ['offered', 'answeredWithinTarget'],
  averageSpeedOfAnswer: ['answered'],
  abandoned: ['abandonedUnder5s'],
};

export interface TileHelp {
  label: string;
  /** Each definition with the name of its figure. */
  definitions: Array<{ label: string; definition: string }>;
}

export function tileHelp(key: TileKey): TileHelp {
  const keys: KpiKey[] = [key, ...(ALSO[key] ?? [])];
  return { label: KPI_DEFINITIONS[key].label, definitions: keys.map((k) => KPI_DEFINITIONS[k]) };
}
