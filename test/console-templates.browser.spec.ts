import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Browser, Page } from 'playwright-core';
import twilio from 'twilio';
import { Channel } from '../src/common/enum';
import { InboxesService } from '../src/inboxes/inboxes.service';
import { startTestApp, TestApp } from './support/app';
import { DESK, launchChromium, OUTPUT, overflow, PAGE_STEP_TIMEOUT_MS, PASSWORD, seriousViolations, signIn, watchPage } from './support/browser';
import { eventually } from './support/eventually';
import { givenAgent } from './support/given';
import inboundWhatsapp from './fixtures/twilio/inbound-whatsapp.json';
import { accepted, newSid, startTwilioApiStandIn, TwilioApiStandIn } from './fixtures/twilio/twilio-api-stand-in';

/**
 * The WhatsApp template picker in a real browser (Debian's chromium through playwright-core): a case whose resident
 * last wrote 25 hours ago offers only the inbox's approved templates and says why; the agent sends one, Twilio's API
 * stand-in receives its ContentSid; when the resident writes again the typed reply box comes back, saying when the
 * window closes. Checked with axe-core.
 */

const PUBLIC_BASE_URL = 'https://contact.example-council.gov.uk';
const HOUR = 3_600_000;

describe('Agent console in the browser: WhatsApp templates outside the 24-hour window', () => {
  let t: TestApp;
  let api: TwilioApiStandIn;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];
  const account = { accountSid: newSid('AC'), authToken: randomBytes(16).toString('hex'), number: '+447700900321' };
  const resident = 'whatsapp:+447700900654';
  const caseUpdate = { name: 'case-update', contentSid: `HX${randomBytes(16).toString('hex')}`, text: 'There is an update on your case {{reference}}. Reply to continue.', variables: { '1': '{{reference}}' } };
  const callBack = { name: 'call-back', contentSid: `HX${randomBytes(16).toString('hex')}`, text: 'We tried to call you about {{reference}}. Please reply with a good time.' };
  let caseId: string;
  let reference: string;
  let lastWrote: Date;

  beforeAll(async () => {
    api = await startTwilioApiStandIn(accepted);
    t = await startTestApp({ env: { PUBLIC_BASE_URL, TWILIO_API_BASE_URL: api.url, DELIVERY_MAX_ATTEMPTS: '2', DELIVERY_BACKOFF_MS: '20', DELIVERY_TIMEOUT_MS: '2000' } });
    await t.get(InboxesService).create({
      channel: Channel.Whatsapp,
      name: 'Council WhatsApp',
      department: 'customer-services',
      address: `whatsapp:${account.number}`,
      settings: { accountSid: account.accountSid, authToken: account.authToken, whatsappTemplates: [caseUpdate, callBack] },
    });
    await givenAgent(t, { name: 'Ada Lovelace', email: 'ada@anytown.test', password: PASSWORD });
    browser = await launchChromium();
    const context = await browser.newContext(DESK);
    page = await context.newPage();
    page.setDefaultTimeout(PAGE_STEP_TIMEOUT_MS);
    watchPage(page, problems);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await api?.close();
  });

  const js = <T>(expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;

  /** The resident writes on WhatsApp through Twilio's signed webhook. */
  async function residentWrites(body: string): Promise<string> {
    const params: Record<string, string> = { ...inboundWhatsapp, AccountSid: account.accountSid, MessageSid: newSid('SM'), To: `whatsapp:${account.number}`, From: resident, Body: body };
    const url = `${PUBLIC_BASE_URL}/channels/sms/twilio`;
    const res = await fetch(`${t.url}/channels/sms/twilio`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(account.authToken, url, params) },
      body: new URLSearchParams(params).toString(),
    });
    expect(res.status).toBe(200);
    const [row] = await t.db.query<{ case_id: string }>(`SELECT case_id FROM message WHERE external_id = $1`, [params.MessageSid]);
    return row.case_id;
  }

  it('a WhatsApp case whose resident wrote 25 hours ago offers only the approved templates, and says why', async () => {
    caseId = await residentWrites('Is the tip open on Sunday?');
    [{ reference }] = await t.db.query<{ reference: string }>(`SELECT reference FROM "case" WHERE id = $1`, [caseId]);
    lastWrote = new Date(Date.now() - 25 * HOUR);
    await t.db.query(`UPDATE message SET created_at = $2 WHERE case_id = $1 AND direction = 'inbound'`, [caseId, lastWrote]);
    await t.db.query(`UPDATE identity SET last_inbound_at = $2 WHERE id IN (SELECT identity_id FROM message WHERE case_id = $1)`, [caseId, lastWrote]);

    await page.goto(`${t.url}/console`);
    await signIn(page, 'ada@anytown.test');
    await page.locator('#connection-status', { hasText: 'Connected' }).waitFor();
    await page.locator(`#open-${caseId}`).click();
    await page.locator('#case-heading', { hasText: reference }).waitFor();

    const why = page.locator('#templates-why');
    await why.waitFor();
    const when = new Intl.DateTimeFormat('en-GB', { dateStyle: 'full', timeStyle: 'short', timeZone: 'Europe/London' }).format(lastWrote);
    expect(await why.innerText()).toBe(`The resident last wrote on ${when}, more than 24 hours ago. WhatsApp only allows approved templates until they write again.`);
    // No box to type in: the typed reply form is hidden, not merely cautioned.
    expect(await page.locator('#reply-form').isHidden()).toBe(true);
    expect(await page.locator('#reply-text').isVisible()).toBe(false);
    expect(await page.locator('#template-form legend').innerText()).toBe('Choose an approved template');
    expect(await page.locator('#template-form .govuk-radios__label').allInnerTexts()).toEqual(['Case update', 'Call back']);
    expect(await page.locator('#template-0-preview').innerText()).toContain(`There is an update on your case ${reference}. Reply to continue.`);
    expect(await page.locator('#template-1-preview').innerText()).toContain(`We tried to call you about ${reference}. Please reply with a good time.`);
    expect(await page.locator('#template-0').getAttribute('aria-describedby')).toBe('template-0-preview');
    expect(await page.locator('#template-form fieldset').getAttribute('aria-describedby')).toBe('templates-why template-hint');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('fits a 320 px wide screen without horizontal scrolling', async () => {
    await page.setViewportSize({ width: 320, height: 800 });
    await page.locator('#template-form').scrollIntoViewIfNeeded();
    const fit = await overflow(page, { within: '#reply-templates, #reply-templates *' });
    expect({ scrollWidth: fit.scrollWidth, wider: fit.wider }).toEqual({ scrollWidth: fit.clientWidth, wider: [] });
    await page.setViewportSize({ width: 1400, height: 1000 });
  });

  it('sending needs the case claimed and a template chosen, each said as a GOV.UK error on the radios', async () => {
    await page.locator('#template-send').click();
    await page.locator('#template-error', { hasText: 'Only the case owner can reply. Claim this case to answer the resident.' }).waitFor();
    await page.locator('#case-claim').click();
    await page.locator('.hub-facts', { hasText: 'You' }).waitFor();

    await page.locator('#template-send').click();
    await page.locator('#template-error', { hasText: 'Choose a template to send' }).waitFor();
    expect(await page.locator('#template-group').getAttribute('class')).toContain('govuk-form-group--error');
    expect(await page.locator('#template-form fieldset').getAttribute('aria-describedby')).toBe('templates-why template-hint template-error');
    expect(await js('document.activeElement.id')).toBe('template-0');
    expect(await seriousViolations(page)).toEqual([]);
    expect(api.requests).toHaveLength(0);
  });

  it('the agent sends a template by keyboard: Twilio gets its ContentSid and variables, the conversation shows the text', async () => {
    await page.keyboard.press('Space'); // chooses the focused radio: "Case update"
    expect(await page.locator('#template-0').isChecked()).toBe(true);
    await page.screenshot({ path: join(OUTPUT, 'console-whatsapp-templates.png'), fullPage: true });
    await page.locator('#template-send').click();
    await page.locator('#template-status', { hasText: 'Template sent: “Case update”. Its delivery status shows in the conversation.' }).waitFor();
    expect(await page.locator('#template-error').count()).toBe(0);
    const log = page.locator('[role="log"]');
    await log.getByText(`There is an update on your case ${reference}. Reply to continue.`).waitFor();
    await eventually(() => expect(api.requests).toHaveLength(1));
    expect(api.requests[0].form).toMatchObject({ To: resident, ContentSid: caseUpdate.contentSid, ContentVariables: JSON.stringify({ '1': reference }) });
    expect(api.requests[0].form).not.toHaveProperty('Body');
    // Still outside the window: the picker stays, ready for another.
    expect(await page.locator('#reply-form').isHidden()).toBe(true);
    expect(await page.locator('#template-0').isChecked()).toBe(false);
  });

  it('when the resident writes again the typed reply box comes back, saying until when; a typed reply goes as Body', async () => {
    expect(await residentWrites('Thanks, what is the update?')).toBe(caseId);
    await page.locator('#reply-text').waitFor({ state: 'visible' });
    expect(await page.locator('#reply-templates').isHidden()).toBe(true);
    const hint = await page.locator('#reply-window').innerText();
    expect(hint).toMatch(/^WhatsApp accepts a typed reply until .+ \(24 hours after the resident’s last message\)\. After that, only approved templates can be sent\.$/);
    expect(await page.locator('#reply-text').getAttribute('aria-describedby')).toContain('reply-window');
    expect(await seriousViolations(page)).toEqual([]);

    await page.locator('#reply-text').fill('Your collection is booked for Tuesday.');
    await page.locator('#reply-send').click();
    await eventually(() => expect(api.requests).toHaveLength(2));
    expect(api.requests[1].form).toMatchObject({ To: resident, Body: 'Your collection is booked for Tuesday.' });
  });

  it('raised no script error and no Content-Security-Policy violation along the way', () => {
    expect(problems).toEqual([]);
  });
});
