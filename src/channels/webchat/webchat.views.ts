import { decodeCursor, encodeCursor, isCursorTime } from '../../common/cursor';
import type { VisitorRow } from './webchat-visitor.repository';
import type { WidgetMessageRow } from './webchat-read.repository';
import type { VisitorView, WebchatMessage } from './webchat.events';

export function attachmentPath(id: string): string {
  return `/webchat/v1/attachments/${id}`;
}

/** A stored message as the widget shows it. `agentReadAt`: up to when the agent has read the resident's messages. */
export function toWidgetMessage(row: WidgetMessageRow, agentReadAt: Date | null): WebchatMessage {
  const inbound = row.direction === 'inbound';
  const created = new Date(row.created_at);
  return {
    id: row.id,
    // The widget's clientId is kept in the external id (`<visitor id>:<clientId>`), which makes repeats harmless.
    clientId: inbound && row.external_id?.includes(':') ? row.external_id.slice(row.external_id.indexOf(':') + 1) : null,
    direction: inbound ? 'resident' : 'agent',
    text: row.text,
    authorName: inbound ? null : row.author_name,
    attachments: (row.attachments ?? []).flatMap((a) =>
      a.id ? [{ id: a.id, filename: a.filename, contentType: a.contentType, size: a.size, url: attachmentPath(a.id) }] : [],
    ),
    createdAt: created.toISOString(),
    readByAgent: inbound && agentReadAt !== null && created.getTime() <= new Date(agentReadAt).getTime(),
  };
}

export function toVisitorView(visitorId: string, row: VisitorRow | undefined): VisitorView {
  return { id: visitorId, name: row?.name ?? null, email: row?.email ?? null, phone: row?.phone ?? null, prechatDone: !!row?.prechat_at };
}

/** The widget's cursor: a database time (microseconds, UTC), opaque to the widget. */
export function widgetCursor(at: string): string {
  return encodeCursor({ at });
}

/** The time a widget cursor carries, exactly as written; anything else is a Validation error naming `since`. */
export function decodeWidgetCursor(cursor: string): string {
  const key = decodeCursor(cursor, (v): v is { at: string } => isCursorTime((v as { at?: unknown } | null)?.at), 'since');
  return key!.at;
}
