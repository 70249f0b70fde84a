import { startTestApp, TestApp } from './support/app';
import { givenApiInbox, postApiMessage } from './support/given';

describe('API channel: POST /channels/api/messages', () => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startTestApp();
    token = (await givenApiInbox(t)).token;
  });
  afterAll(() => t.close());

  async function storedCounts() {
    const [row] = await t.db.query(
      `SELECT (SELECT count(*)::int FROM message) AS messages, (SELECT count(*)::int FROM "case") AS cases,
              (SELECT count(*)::int FROM resident) AS residents, (SELECT count(*)::int FROM identity) AS identities`,
    );
    return row;
  }

  it('stores a resident message on a new case and answers 201 with its ids', async () => {
    const res = await postApiMessage(t, token, { externalId: 'first-1', from: { address: 'res-1', name: 'Ada Lovelace' }, text: 'My bin was not emptied' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ caseId: expect.any(String), reference: expect.stringMatching(/^C-\d{4}-\d{6}$/), messageId: expect.any(String) });
    const [row] = await t.db.query(`SELECT m.text, c.reference FROM message m JOIN "case" c ON c.id = m.case_id WHERE m.id = $1`, [res.body.messageId]);
    expect(row).toEqual({ text: 'My bin was not emptied', reference: res.body.reference });
  });

  it('answers a repeat of the same externalId with 200 and the first result', async () => {
    const body = { externalId: 'repeat-1', from: { address: 'res-2' }, text: 'hello' };
    const first = await postApiMessage(t, token, body);
    const again = await postApiMessage(t, token, body);
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
  });

  it('keeps the provider time when sentAt is given', async () => {
    const res = await postApiMessage(t, token, { externalId: 'timed-1', from: { address: 'res-3' }, text: 'hi', sentAt: '2026-11-20T09:15:00Z' });
    const [row] = await t.db.query(`SELECT sent_at FROM message WHERE id = $1`, [res.body.messageId]);
    expect(new Date(row.sent_at as string).toISOString()).toBe('2026-11-20T09:15:00.000Z');
  });

  it('runs the case on the time the hub received it, not on a sentAt the sender chose', async () => {
    const before = Date.now();
    const old = await postApiMessage(t, token, { externalId: 'timed-old', from: { address: 'res-time' }, text: 'me first', sentAt: '1990-01-01T00:00:00Z' });
    const future = await postApiMessage(t, token, { externalId: 'timed-future', from: { address: 'res-time' }, text: 'and again', sentAt: '2999-01-01T00:00:00Z' });
    const after = Date.now();
    expect(future.body.caseId).toBe(old.body.caseId);
    const [kase] = await t.db.query(`SELECT reference, created_at, last_inbound_at FROM "case" WHERE id = $1`, [old.body.caseId]);
    expect(kase.reference).toMatch(new RegExp(`^C-${new Date(before).getUTCFullYear()}-`));
    for (const at of [kase.created_at, kase.last_inbound_at]) {
      expect(new Date(at as string).getTime()).toBeGreaterThanOrEqual(before - 1000);
      expect(new Date(at as string).getTime()).toBeLessThanOrEqual(after + 1000);
    }
    const sent = await t.db.query(`SELECT external_id, sent_at FROM message WHERE case_id = $1 ORDER BY created_at`, [old.body.caseId]);
    // The sender's time stays on the message as its label, unless it lies in the future.
    expect(new Date(sent[0].sent_at as string).toISOString()).toBe('1990-01-01T00:00:00.000Z');
    expect(new Date(sent[1].sent_at as string).getTime()).toBeLessThanOrEqual(after + 1000);
  });

  it('drops NUL characters (PostgreSQL cannot store them) and stores the message', async () => {
    const res = await postApiMessage(t, token, { externalId: 'nul-\u00001', from: { address: 'res-\u0000nul', name: 'A\u0000da' }, text: 'Bin\u0000 missed' });
    expect(res.status).toBe(201);
    const [row] = await t.db.query(
      `SELECT m.text, m.external_id, i.address, r.name FROM message m JOIN identity i ON i.id = m.identity_id JOIN resident r ON r.id = i.resident_id
       WHERE m.id = $1`,
      [res.body.messageId],
    );
    expect(row).toEqual({ text: 'Bin missed', external_id: 'nul-1', address: 'res-nul', name: 'Ada' });
    const again = await postApiMessage(t, token, { externalId: 'nul-1', from: { address: 'res-nul' }, text: 'Bin missed' });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(res.body);
  });

  describe('bad input: a 4xx naming the problem, nothing stored', () => {
    const valid = { externalId: 'bad-x', from: { address: 'bad-resident' }, text: 'hello' };

    it.each([
      ['malformed JSON', '{"externalId": "x", ', 400, /Malformed JSON/],
      ['a JSON array', '[]', 400, /JSON object/],
      ['missing externalId', { ...valid, externalId: undefined }, 400, /externalId/],
      ['externalId of the wrong type', { ...valid, externalId: 42 }, 400, /externalId/],
      ['missing from', { ...valid, from: undefined }, 400, /from/],
      ['from.address missing', { ...valid, from: { name: 'No Address' } }, 400, /from\.address/],
      ['text of the wrong type', { ...valid, text: 123 }, 400, /text/],
      ['empty text', { ...valid, text: '   ' }, 400, /text/],
      ['text over the limit', { ...valid, text: 'x'.repeat(20001) }, 400, /text/],
      ['sentAt not a date', { ...valid, sentAt: 'yesterday' }, 400, /sentAt/],
      ['attachments not a list', { ...valid, attachments: 'file.pdf' }, 400, /attachments/],
    ])('%s → %d', async (_, body, status, message) => {
      const before = await storedCounts();
      const res = await postApiMessage(t, token, body);
      expect(res.status).toBe(status);
      expect(res.body.error).toMatchObject({ code: 'Validation', message: expect.stringMatching(message) });
      expect(await storedCounts()).toEqual(before);
    });

    it('refuses a body over 1 MB with 413', async () => {
      const before = await storedCounts();
      const res = await postApiMessage(t, token, { ...valid, text: 'x'.repeat(1_100_000) });
      expect(res.status).toBe(413);
      expect(res.body.error).toMatchObject({ code: 'PayloadTooLarge' });
      expect(await storedCounts()).toEqual(before);
    });

    it('refuses a body that is not JSON', async () => {
      const res = await fetch(`${t.url}/channels/api/messages`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' }, body: 'hello' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/application\/json/);
    });

    it.each([
      ['no token', undefined],
      ['an unknown token', 'hub_in_not-a-real-token'],
      ['a malformed header', 'Basic abc'],
    ])('refuses %s with 401', async (_, auth) => {
      const before = await storedCounts();
      const res = await fetch(`${t.url}/channels/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: auth.startsWith('Basic') ? auth : `Bearer ${auth}` } : {}) },
        body: JSON.stringify(valid),
      });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('Unauthorized');
      expect(await storedCounts()).toEqual(before);
    });
  });
});
