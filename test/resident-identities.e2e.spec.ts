import { randomUUID } from 'node:crypto';
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmailReceiver } from '../src/channels/email/email-receiver.service';
import { InboxesService } from '../src/inboxes/inboxes.service';
import { startTestApp, TestApp } from './support/app';
import { givenAgent } from './support/given';
import { connectWidget, postSession, WidgetClient } from './support/widget-client';

const WEEK = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
/** Every department always open, so that the chat takes messages whenever the test runs. */
const HOURS = `timeZone: Europe/London
hours: { ${WEEK.map((d) => `${d}: "00:00-24:00"`).join(', ')} }
bankHolidays: { file: no-bank-holidays.json }
`;
const COUNCIL = 'contact@anytown.gov.uk';

/**
 * Whose record an address joins. An address typed into the web chat's pre-chat form is only a claim: it sits on
 * the typist's resident until a genuine message from the address arrives, and that message takes the address to
 * a resident of its own. An address proven by a message first is never moved by a form.
 */
describe('Resident identities: form-typed addresses and genuine contact', () => {
  let t: TestApp;
  let configDir: string;
  let inboxToken: string;
  let staff: { token: string };
  const widgets: WidgetClient[] = [];

  beforeAll(async () => {
    configDir = mkdtempSync(join(tmpdir(), 'hub-identities-config-'));
    cpSync(join(__dirname, '..', 'config'), configDir, { recursive: true });
    writeFileSync(join(configDir, 'opening-hours.yaml'), HOURS);
    writeFileSync(join(configDir, 'no-bank-holidays.json'), JSON.stringify({ 'england-and-wales': { division: 'england-and-wales', events: [] } }));
    t = await startTestApp({ env: { CONFIG_DIR: configDir, WEBCHAT_MESSAGES_PER_MINUTE: '1000', WEBCHAT_SESSIONS_PER_MINUTE: '10000' } });
    const inboxes = t.get(InboxesService);
    inboxToken = (await inboxes.create({ channel: 'webchat', name: 'Anytown web chat', department: 'customer-services', settings: { council: 'Anytown Council' } })).token;
    await inboxes.create({ channel: 'email', name: 'Anytown email', department: 'customer-services', address: COUNCIL });
    staff = await givenAgent(t, { departments: ['customer-services'] });
  });

  afterEach(() => {
    for (const w of widgets.splice(0)) w.close();
  });

  afterAll(async () => {
    await t?.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  /** A web chat visitor who fills in the pre-chat form and writes once; the chat's case and its resident. */
  async function chatWithPrechat(prechat: Record<string, unknown>): Promise<{ caseId: string; residentId: string }> {
    const res = await postSession(t.url, { inbox: inboxToken });
    expect(res.status).toBe(200);
    const widget = await connectWidget(t.url, res.body.visitorToken);
    widgets.push(widget);
    expect(await widget.send('prechat', prechat)).toMatchObject({ ok: true });
    expect(await widget.send('message:send', { text: 'I need help with my council tax', clientId: randomUUID() })).toMatchObject({ ok: true });
    const caseId = (await widget.waitFor('conversation')).caseId as string;
    const [row] = await t.db.query<{ resident_id: string }>(`SELECT resident_id FROM "case" WHERE id = $1`, [caseId]);
    return { caseId, residentId: row.resident_id };
  }

  /** A real email from `from` to the council's inbox, through the email intake. */
  async function emailFrom(from: string, name: string, text: string): Promise<string> {
    const raw = [
      `From: ${name} <${from}>`,
      `To: ${COUNCIL}`,
      `Subject: ${text}`,
      `Message-ID: <${randomUUID()}@example.com>`,
      'Date: ' + new Date().toUTCString(),
      'Content-Type: text/plain; charset=utf-8',
      '',
      text,
      '',
    ].join('\r\n');
    const [receipt] = await t.get(EmailReceiver).receive(Buffer.from(raw), { mailFrom: from, rcptTo: [COUNCIL] });
    if (receipt?.outcome !== 'stored') throw new Error(`the email was not stored: ${JSON.stringify(receipt)}`);
    return receipt.caseId;
  }

  async function staffGet(path: string): Promise<any> {
    const res = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${staff.token}` } });
    expect(res.status).toBe(200);
    return res.json();
  }

  const emailIdentity = async (address: string) =>
    (await t.db.query<{ id: string; resident_id: string }>(`SELECT id, resident_id FROM identity WHERE channel = 'email' AND address = $1`, [address]))[0];

  it('files a genuine email under a resident of its own, not under the visitor who typed the address into the form', async () => {
    const victim = `victim-${randomUUID().slice(0, 8)}@example.com`;
    const mallory = await chatWithPrechat({ name: 'Mallory', email: victim });
    expect((await emailIdentity(victim)).resident_id).toBe(mallory.residentId); // the form's claim, for now

    const emailCaseId = await emailFrom(victim, 'Victoria Vance', 'My bin was not collected');

    const detail = await staffGet(`/api/v1/cases/${emailCaseId}`);
    expect(detail.case.residentName).toBe('Victoria Vance');
    expect(detail.resident.id).not.toBe(mallory.residentId);
    expect(detail.resident.name).toBe('Victoria Vance');
    expect(detail.resident.identities.map((i: any) => `${i.channel}:${i.address}`)).toEqual([`email:${victim}`]);
    expect(detail.otherCases.map((c: any) => c.id)).not.toContain(mallory.caseId);
    const identity = await emailIdentity(victim);
    expect(identity.resident_id).toBe(detail.resident.id);
    const [message] = await t.db.query<{ identity_id: string }>(`SELECT identity_id FROM message WHERE case_id = $1 AND direction = 'inbound'`, [emailCaseId]);
    expect(message.identity_id).toBe(identity.id);

    const malloryRecord = await staffGet(`/api/v1/residents/${mallory.residentId}`);
    expect(malloryRecord.name).toBe('Mallory');
    expect(malloryRecord.identities.map((i: any) => i.channel)).toEqual(['webchat']);
    expect(malloryRecord.cases.map((c: any) => c.id)).toEqual([mallory.caseId]);
    // The move is on the audit trail: Mallory's record showed the address until then.
    const audit = await t.db.query(`SELECT actor_type, details FROM audit_entry WHERE action = 'identity.taken-by-sender' AND subject_id = $1`, [identity.id]);
    expect(audit).toEqual([{ actor_type: 'system', details: { channel: 'email', fromResidentId: mallory.residentId, toResidentId: detail.resident.id } }]);

    // The address now sits where genuine mail put it: the sender's next email joins the same resident.
    const again = await emailFrom(victim, 'Victoria Vance', 'Still not collected');
    expect((await staffGet(`/api/v1/cases/${again}`)).resident.id).toBe(detail.resident.id);
    expect((await emailIdentity(victim)).resident_id).toBe(detail.resident.id);
  });

  it('keeps an address typed into the form on the typist’s resident while nobody writes from it; another form does not move it', async () => {
    const address = `typed-${randomUUID().slice(0, 8)}@example.org`;
    const grace = await chatWithPrechat({ name: 'Grace', email: address, phone: '07700 900456' });
    const record = await staffGet(`/api/v1/residents/${grace.residentId}`);
    expect(record.identities).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ channel: 'email', address, verified: false }),
        expect.objectContaining({ channel: 'sms', address: '+447700900456', verified: false }),
      ]),
    );

    const other = await chatWithPrechat({ name: 'Eve', email: address });
    expect(other.residentId).not.toBe(grace.residentId);
    expect((await emailIdentity(address)).resident_id).toBe(grace.residentId);
    const eve = await staffGet(`/api/v1/residents/${other.residentId}`);
    expect(eve.identities.map((i: any) => i.channel)).toEqual(['webchat']);
  });

  it('leaves an address that wrote in first with its sender when a visitor later types it into the form', async () => {
    const address = `first-${randomUUID().slice(0, 8)}@example.net`;
    const emailCaseId = await emailFrom(address, 'Olu Adeyemi', 'A question about parking permits');
    const owner = (await staffGet(`/api/v1/cases/${emailCaseId}`)).resident.id as string;
    expect((await emailIdentity(address)).resident_id).toBe(owner);

    const visitor = await chatWithPrechat({ name: 'Someone', email: address });
    expect(visitor.residentId).not.toBe(owner);
    expect((await emailIdentity(address)).resident_id).toBe(owner);
    expect((await staffGet(`/api/v1/residents/${visitor.residentId}`)).identities.map((i: any) => i.channel)).toEqual(['webchat']);

    const next = await emailFrom(address, 'Olu Adeyemi', 'Another question about permits');
    expect((await staffGet(`/api/v1/cases/${next}`)).resident.id).toBe(owner);
    expect((await emailIdentity(address)).resident_id).toBe(owner);
  });
});
