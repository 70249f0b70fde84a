import { InboxesService } from '../../src/inboxes/inboxes.service';
import { TestApp } from './app';

/** Builders for the data a test starts from, through the hub's own services. */
export async function givenApiInbox(t: TestApp, options: { name?: string; department?: string; callbackUrl?: string } = {}) {
  return t.get(InboxesService).create({
    channel: 'api',
    name: options.name ?? `API ${Math.random().toString(36).slice(2, 8)}`,
    department: options.department ?? 'customer-services',
    callbackUrl: options.callbackUrl,
  });
}

export interface PostedMessage {
  status: number;
  body: Record<string, unknown>;
}

/** Posts to the API channel as another council system would. */
export async function postApiMessage(t: TestApp, token: string, body: unknown, headers: Record<string, string> = {}): Promise<PostedMessage> {
  const res = await fetch(`${t.url}/channels/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
