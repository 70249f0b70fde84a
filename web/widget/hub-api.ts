import type { Attachment, Lang, Session } from './protocol';

/** `code` is the hub's error code when it sent one: the widget words the error from it, `message` is English. */
export type Result<T> = { ok: true; value: T } | { ok: false; status: number; code?: string; message: string };

/** The hub's error body, in either shape it may take: `{ error: 'text' }` or `{ error: { code, message } }`. */
async function failure(res: Response): Promise<{ ok: false; status: number; code?: string; message: string }> {
  try {
    const body = (await res.json()) as { error?: string | { code?: string; message?: string }; message?: string };
    if (typeof body.error === 'string') return { ok: false, status: res.status, message: body.error };
    return { ok: false, status: res.status, code: body.error?.code, message: body.error?.message ?? body.message ?? res.statusText };
  } catch {
    return { ok: false, status: res.status, message: res.statusText };
  }
}

/** POST /webchat/v1/session: a new visitor, or the same one again when the stored token is still good. */
export async function startSession(origin: string, inbox: string, visitorToken: string | null, lang: Lang): Promise<Result<Session>> {
  try {
    const res = await fetch(`${origin}/webchat/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inbox, lang, ...(visitorToken ? { visitorToken } : {}) }),
      credentials: 'omit',
    });
    if (!res.ok) return failure(res);
    return { ok: true, value: (await res.json()) as Session };
  } catch (e) {
    return { ok: false, status: 0, message: (e as Error).message };
  }
}

/** POST /webchat/v1/attachments: the server decides the type from the bytes. */
export async function uploadAttachment(origin: string, visitorToken: string, file: File): Promise<Result<Attachment>> {
  const form = new FormData();
  form.append('file', file, file.name);
  try {
    const res = await fetch(`${origin}/webchat/v1/attachments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${visitorToken}` },
      body: form,
      credentials: 'omit',
    });
    if (!res.ok) return failure(res);
    const body = (await res.json()) as { attachment: Attachment };
    return { ok: true, value: body.attachment };
  } catch (e) {
    return { ok: false, status: 0, message: (e as Error).message };
  }
}

/** Where the resident can open an attachment: the server's url, on the hub's origin, with the visitor's token. */
export function attachmentHref(origin: string, visitorToken: string, attachment: Attachment): string {
  const url = new URL(attachment.url ?? `/webchat/v1/attachments/${encodeURIComponent(attachment.id)}`, origin);
  if (!url.searchParams.has('token')) url.searchParams.set('token', visitorToken);
  return url.href;
}
