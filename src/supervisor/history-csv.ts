import type { History, HistoryRow } from './kpi-definitions';

/** The CSV columns, in order: the JSON row's field names, so both exports read alike. */
export const HISTORY_CSV_COLUMNS: ReadonlyArray<keyof HistoryRow> = [
  'start',
  'departmentId',
  'channel',
  'offered',
  'answered',
  'answeredWithinTarget',
  'serviceLevel',
  'averageSpeedOfAnswerSeconds',
  'abandoned',
  'abandonedUnder5s',
  'resolved',
  'firstResponseP50Seconds',
  'firstResponseP90Seconds',
];

/** RFC 4180 CSV with a header line; empty cells for figures with nothing to measure. */
export function historyCsv(history: History): string {
  const lines = [HISTORY_CSV_COLUMNS.join(',')];
  for (const row of history.rows) lines.push(HISTORY_CSV_COLUMNS.map((c) => cell(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}

function cell(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
