import { Agent, Attachment, CaseSummary, Department, MessageView, ReplyFile } from './protocol';

/** The few REST calls the page makes: sign-in and sign-out, who am I, the department list, older cases. */

export interface ApiResult<T> {
  status: number;
  body: T;
  /** The hub's error message for a 4xx/5xx, when it sent one. */
  error?: string;
}

let bearer: string | undefined;

/** The token from sign-in, kept in memory only; after a reload the HttpOnly session cookie authenticates. */
export function setToken(token: string | undefined): void {
  bearer = token;
}

export function token(): string | undefined {
  return bearer;
}

/** Exported for the supervisor page, which shares the console's sign-in and token. */
export async function call<T>(method: string, path: string, body?: unknown): Promise<ApiResult<T>> {
  const headers: Record<string, string> = { accept: 'application/json', 'x-requested-with': 'XMLHttpRequest' };
  // A form (a file upload) sets its own multipart content type, boundary included.
  const form = body instanceof FormData;
  if (body !== undefined && !form) headers['content-type'] = 'application/json';
  if (bearer) headers.authorization = `Bearer ${bearer}`;
  let res: Response;
  try {
    res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : form ? body : JSON.stringify(body) });
  } catch {
    return { status: 0, body: undefined as T, error: 'The hub cannot be reached. Check your connection and try again.' };
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  const error = res.ok ? undefined : ((json as { error?: { message?: string } } | undefined)?.error?.message ?? `The hub answered ${res.status}`);
  return { status: res.status, body: json as T, error };
}

export const login = (email: string, password: string) => call<{ token: string; agent: Agent }>('POST', '/api/v1/auth/login', { email, password });
export const me = () => call<Agent>('GET', '/api/v1/auth/me');
export const logout = () => call<void>('POST', '/api/v1/auth/logout');
export const departments = () => call<Department[]>('GET', '/api/v1/departments');

/** A file for a reply on the case, stored by the hub (typed from its bytes) until the reply names it. */
export function uploadCaseAttachment(caseId: string, file: File) {
  const form = new FormData();
  form.append('file', file, file.name);
  return call<{ attachment: ReplyFile }>('POST', `/api/v1/cases/${encodeURIComponent(caseId)}/attachments`, form);
}

interface RestMessage {
  id: string;
  caseId: string;
  direction: MessageView['direction'];
  channel: MessageView['channel'];
  text: string;
  attachments?: Attachment[];
  authorAgentId: string | null;
  deliveryStatus: MessageView['deliveryStatus'];
  deliveryReason: string | null;
  sentAt: string | null;
  createdAt: string;
}

/** An earlier case's messages, in the socket's MessageView shape (REST names the author by id only). */
export async function caseMessages(caseId: string, staffName: (id: string) => string | null): Promise<MessageView[] | undefined> {
  const res = await call<{ case: CaseSummary; messages: RestMessage[] }>('GET', `/api/v1/cases/${encodeURIComponent(caseId)}`);
  if (res.status !== 200 || !Array.isArray(res.body?.messages)) return undefined;
  return res.body.messages.map((m) => ({
    id: m.id,
    caseId: m.caseId,
    direction: m.direction,
    channel: m.channel,
    text: m.text,
    attachments: m.attachments ?? [],
    author: m.authorAgentId ? { id: m.authorAgentId, name: staffName(m.authorAgentId) } : null,
    deliveryStatus: m.deliveryStatus,
    deliveryReason: m.deliveryReason,
    sentAt: m.sentAt,
    createdAt: m.createdAt,
  }));
}
