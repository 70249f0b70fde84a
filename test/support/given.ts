import { randomUUID } from 'node:crypto';
import { Agent, AgentsService } from '../../src/agents/agents.service';
import { AgentRole } from '../../src/common/enum';
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

/** A resident's new case through the API channel, in the inbox's department (plain words: triage moves nothing). */
export async function givenCase(t: TestApp, inboxToken: string, text = 'Hello, I have a question'): Promise<string> {
  const posted = await postApiMessage(t, inboxToken, { externalId: `in-${randomUUID()}`, from: { address: `resident-${randomUUID()}` }, text });
  if (posted.status !== 201) throw new Error(`the API channel answered ${posted.status}: ${JSON.stringify(posted.body)}`);
  return posted.body.caseId as string;
}

/** A staff member created through AgentsService and signed in over HTTP, as the console would. */
export async function givenAgent(
  t: TestApp,
  opts: { role?: AgentRole; departments?: string[]; password?: string; email?: string; name?: string; capacity?: number } = {},
): Promise<{ agent: Agent; token: string; password: string; cookie: string }> {
  const password = opts.password ?? `pw-${Math.random().toString(36).slice(2)}-long-enough`;
  const role = opts.role ?? AgentRole.Agent;
  const agent = await t.get(AgentsService).create({
    email: opts.email ?? `${role}-${Math.random().toString(36).slice(2, 10)}@council.test`,
    name: opts.name ?? `Test ${role}`,
    role,
    departments: opts.departments ?? (role === AgentRole.Admin ? [] : ['customer-services']),
    password,
    capacity: opts.capacity,
  });
  const res = await fetch(`${t.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: agent.email, password }),
  });
  if (res.status !== 200) throw new Error(`givenAgent: sign-in answered ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { token: string };
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  return { agent, token: body.token, password, cookie };
}
