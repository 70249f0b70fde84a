/**
 * What the supervisor page reads. The live snapshot and the history are typed by the metrics module's definitions
 * (src/supervisor/kpi-definitions.ts: plain TypeScript, no imports, shared with the server); the SLA alert is the
 * shape of GET /api/v1/sla/breaches and `sla:alert` (src/sla/sla.views.ts). Nullable figures are null when there is
 * nothing to measure yet, and the page says so in words rather than showing 0.
 */
import type { LiveSnapshot } from '../../src/supervisor/kpi-definitions';

export type { AgentLoad, DepartmentSnapshot, History, HistoryBucket as Bucket, HistoryRow, Kpis, LiveSnapshot } from '../../src/supervisor/kpi-definitions';

export interface SlaAlert {
  caseId: string;
  reference: string;
  departmentId: string;
  target: 'firstResponse' | 'resolution';
  kind: 'warning' | 'breach';
  dueAt: string;
  raisedAt: string;
  assignee: { id: string; name: string | null } | null;
}

// The console's socket carries the supervisor's events too: its typed Connection learns them here.
declare module '../console/protocol' {
  interface Commands {
    'metrics:live': [Record<string, never>, { snapshot: LiveSnapshot }];
  }
  interface ServerEvents {
    'metrics:live': LiveSnapshot | { snapshot: LiveSnapshot };
    'sla:alert': SlaAlert | { alert: SlaAlert };
  }
}
