import { createHmac } from 'node:crypto';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { AgentsService } from '../src/agents/agents.service';
import { AuthService } from '../src/auth/auth.service';
import { AgentRole } from '../src/common/enum';
import { startTestApp, TestApp } from './support/app';
import { givenAgent } from './support/given';

async function login(t: TestApp, body: unknown): Promise<{ status: number; body: any; cookie: string | null }> {
  const res = await fetch(`${t.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json(), cookie: res.headers.get('set-cookie') };
}

async function call(t: TestApp, method: string, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${t.url}${path}`, { method, headers });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

describe('staff sign-in (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  describe('POST /api/v1/auth/login', () => {
    it('answers with a token, the agent without its password hash, and an HttpOnly session cookie', async () => {
      const agent = await t.get(AgentsService).create({
        email: 'Sam.Agent@council.test', name: 'Sam Agent', role: AgentRole.Agent, departments: ['waste'], password: 'a very long password',
      });
      const res = await login(t, { email: 'sam.agent@council.test', password: 'a very long password' });
      expect(res.status).toBe(200);
      expect(typeof res.body.token).toBe('string');
      expect(res.body.agent).toMatchObject({ id: agent.id, email: 'Sam.Agent@council.test', role: 'agent' });
      expect(JSON.stringify(res.body)).not.toMatch(/password|argon2/i);
      expect(res.cookie).toMatch(/^hub_session=[^;]+;/);
      expect(res.cookie).toMatch(/HttpOnly/i);
      expect(res.cookie).toMatch(/SameSite=Lax/i);
      expect(res.cookie).toMatch(/Path=\//);
      expect(res.cookie).not.toMatch(/Secure/i);
      const audit = await t.db.query(`SELECT action FROM audit_entry WHERE subject_id = $1`, [agent.id]);
      expect(audit.map((a) => a.action)).toContain('auth.sign-in');
    });

    it('signs in with spaces pasted around the email, as the account was made with them trimmed', async () => {
      await t.get(AgentsService).create({ email: 'pat.paste@council.test', name: 'Pat Paste', role: AgentRole.Agent, departments: ['waste'], password: 'a very long password' });
      const res = await login(t, { email: '  Pat.Paste@council.test \t', password: 'a very long password' });
      expect(res.status).toBe(200);
      expect(res.body.agent).toMatchObject({ email: 'pat.paste@council.test' });
    });

    it('answers a sign-in with NUL characters like any wrong one: 401, not a server error', async () => {
      const { agent } = await givenAgent(t);
      const res = await login(t, { email: `${agent.email}\u0000`, password: 'not the\u0000 password' });
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('Unauthorized');
    });

    it('refuses a wrong password with 401 JSON that does not say which part was wrong', async () => {
      const { agent } = await givenAgent(t);
      const wrongPassword = await login(t, { email: agent.email, password: 'not the password at all' });
      const unknownEmail = await login(t, { email: 'nobody@council.test', password: 'not the password at all' });
      expect(wrongPassword.status).toBe(401);
      expect(unknownEmail.status).toBe(401);
      expect(wrongPassword.body.error.code).toBe('Unauthorized');
      expect(wrongPassword.body.error.message).toMatch(/email address or password/);
      expect(unknownEmail.body.error.message).toBe(wrongPassword.body.error.message);
      expect(wrongPassword.cookie).toBeNull();
      const audit = await t.db.query(`SELECT action, details FROM audit_entry WHERE action = 'auth.sign-in-failed' ORDER BY id`);
      expect(audit.map((a: any) => a.details.reason)).toEqual(expect.arrayContaining(['wrong-password', 'unknown-email']));
    });

    it('locks the account for 15 minutes after 5 failed sign-ins, even for the right password', async () => {
      const { agent, password } = await givenAgent(t);
      for (let i = 0; i < 5; i++) expect((await login(t, { email: agent.email, password: 'wrong password here' })).status).toBe(401);
      const locked = await login(t, { email: agent.email, password });
      expect(locked.status).toBe(429);
      expect(locked.body.error.message).toMatch(/locked/);
      const [row] = await t.db.query<{ minutes: number }>(`SELECT extract(epoch FROM locked_until - now()) / 60 AS minutes FROM agent WHERE id = $1`, [agent.id]);
      expect(Number(row.minutes)).toBeGreaterThan(14);
      expect(Number(row.minutes)).toBeLessThanOrEqual(15);
      const audit = await t.db.query(`SELECT action FROM audit_entry WHERE subject_id = $1 ORDER BY id`, [agent.id]);
      expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(['auth.locked-out', 'auth.sign-in-refused-locked']));
    });

    it('signs in again once the lock has passed', async () => {
      const { agent, password } = await givenAgent(t);
      await t.db.query(`UPDATE agent SET locked_until = now() - interval '1 minute' WHERE id = $1`, [agent.id]);
      expect((await login(t, { email: agent.email, password })).status).toBe(200);
    });

    it('answers 400 naming the field when the body is incomplete', async () => {
      const res = await login(t, { email: 'someone@council.test' });
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('Validation');
      expect(res.body.error.message).toMatch(/password/);
    });
  });

  describe('GET /api/v1/auth/me', () => {
    it('accepts the bearer token', async () => {
      const { agent, token } = await givenAgent(t);
      const res = await call(t, 'GET', '/api/v1/auth/me', { authorization: `Bearer ${token}` });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: agent.id, email: agent.email });
    });

    it('accepts the session cookie', async () => {
      const { agent, cookie } = await givenAgent(t);
      const res = await call(t, 'GET', '/api/v1/auth/me', { cookie });
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(agent.id);
    });

    it('answers 401 without a token', async () => {
      const res = await call(t, 'GET', '/api/v1/auth/me');
      expect(res.status).toBe(401);
      expect(res.body.error.code).toBe('Unauthorized');
    });

    it('answers 401 for a forged token', async () => {
      const { token } = await givenAgent(t);
      const [h, p] = token.split('.');
      const res = await call(t, 'GET', '/api/v1/auth/me', { authorization: `Bearer ${h}.${p}.AAAA` });
      expect(res.status).toBe(401);
    });

    it('answers 401 once the agent is deactivated', async () => {
      const { agent, token } = await givenAgent(t);
      await t.db.query(`UPDATE agent SET active = false WHERE id = $1`, [agent.id]);
      expect((await call(t, 'GET', '/api/v1/auth/me', { authorization: `Bearer ${token}` })).status).toBe(401);
    });
  });

  describe('POST /api/v1/auth/logout', () => {
    it('clears the session cookie', async () => {
      const res = await fetch(`${t.url}/api/v1/auth/logout`, { method: 'POST' });
      expect(res.status).toBe(204);
      expect(res.headers.get('set-cookie')).toMatch(/^hub_session=;.*Expires=Thu, 01 Jan 1970/);
    });
  });

  describe('StaffGuard', () => {
    it('answers 403 to a signed-in agent on a supervisor route', async () => {
      const { token } = await givenAgent(t, { role: AgentRole.Agent });
      const res = await call(t, 'GET', '/api/v1/messages/failed', { authorization: `Bearer ${token}` });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('Forbidden');
    });

    it('refuses a cookie-authenticated POST without X-Requested-With or our Origin (CSRF)', async () => {
      const { cookie } = await givenAgent(t, { role: AgentRole.Supervisor });
      const path = '/api/v1/residents/00000000-0000-4000-8000-000000000000/merge';
      const body = JSON.stringify({ residentId: '00000000-0000-4000-8000-000000000001' });
      const headers = { cookie, 'content-type': 'application/json' };
      const bare = await fetch(`${t.url}${path}`, { method: 'POST', headers, body });
      expect(bare.status).toBe(403);
      expect(((await bare.json()) as any).error.message).toMatch(/X-Requested-With/);
      const foreign = await fetch(`${t.url}${path}`, { method: 'POST', headers: { ...headers, origin: 'https://evil.example' }, body });
      expect(foreign.status).toBe(403);
      // With the header (or our own Origin) the request reaches the service: the residents do not exist.
      const withHeader = await fetch(`${t.url}${path}`, { method: 'POST', headers: { ...headers, 'x-requested-with': 'XMLHttpRequest' }, body });
      expect(withHeader.status).toBe(404);
      const sameOrigin = await fetch(`${t.url}${path}`, { method: 'POST', headers: { ...headers, origin: t.url }, body });
      expect(sameOrigin.status).toBe(404);
    });

    it('needs no CSRF header for a bearer POST', async () => {
      const { token } = await givenAgent(t, { role: AgentRole.Supervisor });
      const res = await fetch(`${t.url}/api/v1/residents/00000000-0000-4000-8000-000000000000/merge`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ residentId: '00000000-0000-4000-8000-000000000001' }),
      });
      expect(res.status).toBe(404);
    });
  });

  describe('AgentsService.create', () => {
    const valid = { email: 'new.agent@council.test', name: 'New Agent', role: AgentRole.Agent, departments: ['waste'], password: 'twelve chars ok' };

    it('stores an argon2id hash, never the password, and links the departments by slug or id', async () => {
      const [housing] = await t.db.query<{ id: string }>(`SELECT id FROM department WHERE slug = 'housing'`);
      const agent = await t.get(AgentsService).create({ ...valid, email: 'hashed@council.test', departments: ['waste', housing.id], capacity: 5 });
      expect(agent).not.toHaveProperty('passwordHash');
      expect(agent).toMatchObject({ role: 'agent', capacity: 5, active: true, presence: 'offline' });
      expect(agent.departmentIds).toHaveLength(2);
      expect(agent.departmentIds).toContain(housing.id);
      const [row] = await t.db.query<{ password_hash: string }>(`SELECT password_hash FROM agent WHERE id = $1`, [agent.id]);
      expect(row.password_hash).toMatch(/^\$argon2id\$/);
      expect(row.password_hash).not.toContain(valid.password);
    });

    it.each([
      ['an email without @', { email: 'not-an-email' }, 'email'],
      ['a password under 12 characters', { password: 'short pass' }, 'password'],
      ['an unknown role', { role: 'boss' as AgentRole }, 'role'],
      ['an unknown department', { departments: ['parks'] }, 'departments'],
      ['no department for an agent', { departments: [] }, 'departments'],
      ['an empty name', { name: '  ' }, 'name'],
    ])('refuses %s with a Validation error naming the field', async (_, change, field) => {
      await expect(t.get(AgentsService).create({ ...valid, ...change })).rejects.toMatchObject({ code: 'Validation', details: { field } });
    });

    it('refuses a second agent with the same email, whatever its case, as a Conflict', async () => {
      await t.get(AgentsService).create({ ...valid, email: 'twice@council.test' });
      await expect(t.get(AgentsService).create({ ...valid, email: 'TWICE@council.test' })).rejects.toMatchObject({ code: 'Conflict' });
    });
  });

  describe('AgentsService.setPassword', () => {
    it('changes the password that signs in and lifts a lock', async () => {
      const { agent, password } = await givenAgent(t);
      await t.db.query(`UPDATE agent SET locked_until = now() + interval '10 minutes' WHERE id = $1`, [agent.id]);
      await t.get(AgentsService).setPassword(agent.id, 'a brand new password');
      expect((await login(t, { email: agent.email, password })).status).toBe(401);
      expect((await login(t, { email: agent.email, password: 'a brand new password' })).status).toBe(200);
    });
  });

  describe('AuthService.verify', () => {
    it('gives the actor with its departments', async () => {
      const { agent, token } = await givenAgent(t, { departments: ['waste', 'housing'] });
      const actor = await t.get(AuthService).verify(token);
      expect(actor).toEqual({ id: agent.id, email: agent.email, name: agent.name, role: 'agent', departmentIds: expect.arrayContaining(agent.departmentIds) });
      expect(actor.departmentIds).toHaveLength(2);
    });
  });

  describe('zero-setup mode (embedded database, no AUTH_SECRET)', () => {
    it('signs tokens with a secret generated once in DATA_DIR/auth-secret, mode 0600', async () => {
      const embedded = await startTestApp({ embedded: true, env: { AUTH_SECRET: '' } });
      try {
        const path = join(embedded.db.url, 'auth-secret');
        expect(statSync(path).mode & 0o777).toBe(0o600);
        const { token } = await givenAgent(embedded, { role: AgentRole.Admin });
        const actor = await embedded.get(AuthService).verify(token);
        expect(actor.role).toBe('admin');
        const [h, p] = token.split('.');
        const forged = await call(embedded, 'GET', '/api/v1/auth/me', { authorization: `Bearer ${h}.${p}.${createHmac('sha256', 'guess').update(`${h}.${p}`).digest('base64url')}` });
        expect(forged.status).toBe(401);
        expect((await call(embedded, 'GET', '/health')).status).toBe(200);
      } finally {
        await embedded.close();
      }
    });
  });
});
