/** Case references look like C-2026-000123: year of creation, then a zero-padded sequence. */
export function formatCaseReference(year: number, sequence: number | string): string {
  return `C-${year}-${String(sequence).padStart(6, '0')}`;
}

export const CASE_REFERENCE_PATTERN = /^C-\d{4}-\d{6,}$/;
