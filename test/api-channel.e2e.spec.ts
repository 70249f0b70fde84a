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
});
