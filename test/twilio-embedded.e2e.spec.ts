import twilio from 'twilio';
import { InboxesService } from '../src/inboxes/inboxes.service';
import { startTestApp, TestApp } from './support/app';
import inboundSms from './fixtures/twilio/inbound-sms.json';

const PUBLIC_BASE_URL = 'https://contact.example-council.gov.uk';

/** The zero-setup default: the Twilio migration and webhook on the embedded database (PGlite). */
describe('Twilio channel on the embedded database', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startTestApp({ embedded: true, env: { PUBLIC_BASE_URL } });
  });
  afterAll(() => t.close());

  it('stores a signed SMS once, records STOP on the identity, and finds a Messaging Service inbox', async () => {
    const authToken = 'embedded-token';
    await t.get(InboxesService).create({
      channel: 'sms',
      name: 'Embedded SMS',
      department: 'customer-services',
      address: inboundSms.To,
      settings: { accountSid: inboundSms.AccountSid, authToken, messagingServiceSid: 'MG00000000000000000000000000000001' },
    });
    const params = { ...inboundSms, Body: 'STOP', MessagingServiceSid: 'MG00000000000000000000000000000001' };
    const signature = twilio.getExpectedTwilioSignature(authToken, `${PUBLIC_BASE_URL}/channels/sms/twilio`, params);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${t.url}/channels/sms/twilio`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
        body: new URLSearchParams(params).toString(),
      });
      expect(res.status).toBe(200);
    }
    expect(await t.db.query(`SELECT id FROM message WHERE external_id = $1`, [params.MessageSid])).toHaveLength(1);
    const [identity] = await t.db.query<{ opted_out_at: Date | null }>(`SELECT opted_out_at FROM identity WHERE channel = 'sms' AND address = $1`, [params.From]);
    expect(identity.opted_out_at).not.toBeNull();
  });
});
