import { ComposeOptions } from '../channels/channel-adapter';

/** What an agent may send on a case now (`case:compose-options` on the console socket, GET /api/v1/cases/:id/compose-options). */
export interface ComposeOptionsView {
  freeText: boolean;
  reason: string | null;
  lastInboundAt: string | null;
  windowClosesAt: string | null;
  templates: Array<{ id: string; name: string; text: string; variables: Record<string, string>; language: string | null }>;
}

export function toComposeOptionsView(o: ComposeOptions): ComposeOptionsView {
  return {
    freeText: o.freeText,
    reason: o.reason ?? null,
    lastInboundAt: o.lastInboundAt ? o.lastInboundAt.toISOString() : null,
    windowClosesAt: o.windowClosesAt ? o.windowClosesAt.toISOString() : null,
    templates: o.templates.map((t) => ({ id: t.id, name: t.name, text: t.text, variables: t.variables, language: t.language ?? null })),
  };
}
