import { randomBytes, randomUUID } from 'node:crypto';
import { createTransport, Transporter } from 'nodemailer';
import { Browser, Page } from 'playwright-core';
import { SmtpListener } from '../src/channels/email/smtp-listener.service';
import { AgentRole } from '../src/common/enum';
import { InboxesService } from '../src/inboxes/inboxes.service';
import { startSmtpCapture } from './support/smtp-capture';
import { startTestApp, TestApp } from './support/app';
import { DESK, launchChromium, overflow, PAGE_STEP_TIMEOUT_MS, PASSWORD, Screenshots, seriousViolations, signIn, watchPage } from './support/browser';
import { eventually } from './support/eventually';
import { givenAgent } from './support/given';

/**
 * Attaching files to a reply in the console, in a real browser: the agent chooses files (each uploaded at once), a
 * refused one is said as a GOV.UK error naming it, one is removed, and the reply goes by email with the rest, byte for
 * byte on the relay stand-in. Checked with axe-core.
 */

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
const PDF = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');
const EXE = Buffer.concat([Buffer.from('4d5a90000300000004000000ffff0000', 'hex'), randomBytes(256)]);
const INBOX = 'housing@council.test';

describe('Agent console in the browser: attaching files to a reply', () => {
  let t: TestApp;
  let browser: Browser;
  let page: Page;
  let client: Transporter;
  let smtp: Awaited<ReturnType<typeof startSmtpCapture>>;
  const problems: string[] = [];
  const shots = new Screenshots('console-attachments');
  let caseId: string;

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    const relayPort = smtp.port;
    t = await startTestApp({ env: { SMTP_PORT: '0', SMTP_HOST: '127.0.0.1', EMAIL_SMTP_URL: `smtp://127.0.0.1:${relayPort}`, DELIVERY_BACKOFF_MS: '20' } });
    await t.get(InboxesService).create({ channel: 'email', name: 'Housing Team', department: 'customer-services', address: INBOX });
    // An admin sees every department: email triage may file the case under any of them.
    await givenAgent(t, { role: AgentRole.Admin, name: 'Ada Lovelace', email: 'ada@anytown.test', password: PASSWORD });
    client = createTransport({ host: '127.0.0.1', port: t.get(SmtpListener).port(), secure: false, ignoreTLS: true });
    const messageId = `att-${randomUUID()}@mail.example`;
    const raw = Buffer.from(
      `From: Grace Hopper <grace@mail.example>\r\nTo: ${INBOX}\r\nSubject: Damp in the bedroom\r\nMessage-ID: <${messageId}>\r\nDate: ${new Date().toUTCString()}\r\n\r\nThere is damp in my bedroom. What should I do?\r\n`,
    );
    await client.sendMail({ envelope: { from: 'grace@mail.example', to: [INBOX] }, raw });
    [{ case_id: caseId }] = await t.db.query<{ case_id: string }>(`SELECT case_id FROM message WHERE external_id = $1`, [messageId]);

    browser = await launchChromium();
    page = await (await browser.newContext(DESK)).newPage();
    page.setDefaultTimeout(PAGE_STEP_TIMEOUT_MS);
    watchPage(page, problems, { expected: [{ text: '415', urlEndsWith: `/api/v1/cases/${caseId}/attachments` }] });
  }, 60_000);

  afterAll(async () => {
    shots.report('Console attachment screenshots');
    client?.close();
    await browser?.close();
    await t?.close();
    await smtp?.close();
  });

  const js = <T>(expression: string): Promise<T> => page.evaluate(expression) as Promise<T>;
  const fileNames = () => page.locator('#reply-files .hub-reply-files__name').allInnerTexts();

  it('offers "Attach a file" under the reply on an email case, labelled and described', async () => {
    await page.goto(`${t.url}/console`);
    await signIn(page, 'ada@anytown.test');
    await page.locator('#connection-status', { hasText: 'Connected' }).waitFor();
    await page.locator(`#open-${caseId}`).click();
    await page.locator('#case-claim').click();
    await page.locator('.hub-facts', { hasText: 'You' }).waitFor();

    expect(await page.locator('label[for="reply-file"]').innerText()).toBe('Attach a file (optional)');
    expect(await page.locator('#reply-file').getAttribute('aria-describedby')).toBe('reply-file-hint reply-file-status');
    expect(await page.locator('#reply-file-hint').innerText()).toContain('up to 10MB');
    expect(await page.locator('#reply-files').isHidden()).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('says a file whose content is not allowed is refused, naming it, as a GOV.UK error on the control', async () => {
    await page.locator('#reply-file').setInputFiles({ name: 'photo.png', mimeType: 'image/png', buffer: EXE });
    await page.locator('#reply-file-error', { hasText: 'photo.png must be an image, PDF, Word, Excel or OpenDocument file' }).waitFor();
    expect(await page.locator('#reply-file-group').getAttribute('class')).toContain('govuk-form-group--error');
    expect(await page.locator('#reply-file').getAttribute('class')).toContain('govuk-file-upload--error');
    expect(await page.locator('#reply-file').getAttribute('aria-describedby')).toBe('reply-file-error reply-file-hint reply-file-status');
    expect(await page.locator('#reply-files').isHidden()).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('uploads chosen files at once and lists them with Remove buttons; removing one moves focus back to the control', async () => {
    await page.locator('#reply-file').setInputFiles([
      { name: 'damp-guide.png', mimeType: 'image/png', buffer: PNG },
      { name: 'wrong-letter.pdf', mimeType: 'application/pdf', buffer: PDF },
    ]);
    await page.locator('#reply-file-status', { hasText: 'wrong-letter.pdf attached' }).waitFor();
    expect(await fileNames()).toEqual(['damp-guide.png (1KB)', 'wrong-letter.pdf (1KB)']);
    expect(await page.locator('#reply-file-error').count()).toBe(0);
    expect(await page.locator('#reply-files button').allTextContents()).toEqual(['Remove damp-guide.png', 'Remove wrong-letter.pdf']);
    await shots.take(page, 'files', true);
    expect(await seriousViolations(page)).toEqual([]);

    await page.getByRole('button', { name: 'Remove wrong-letter.pdf' }).click();
    expect(await fileNames()).toEqual(['damp-guide.png (1KB)']);
    expect(await page.locator('#reply-file-status').innerText()).toBe('wrong-letter.pdf removed');
    expect(await js('document.activeElement.id')).toBe('reply-file');
  });

  it('fits a 320 px wide screen without horizontal scrolling', async () => {
    await page.setViewportSize({ width: 320, height: 800 });
    await page.locator('#reply-file-group').scrollIntoViewIfNeeded();
    const fit = await overflow(page, { within: '#reply-file-group, #reply-file-group *' });
    expect({ scrollWidth: fit.scrollWidth, wider: fit.wider }).toEqual({ scrollWidth: fit.clientWidth, wider: [] });
    await page.setViewportSize(DESK.viewport!);
  });

  it('sends the reply with the listed file: the email carries it byte for byte, the conversation lists it', async () => {
    await page.locator('#reply-text').fill('Please see the attached guide to treating damp.');
    await page.locator('#reply-send').click();

    const mail = await eventually(() => {
      const found = smtp.mails.find((m) => (m.text ?? '').includes('Please see the attached guide to treating damp.'));
      expect(found).toBeDefined();
      return found!;
    });
    expect(mail.attachments.map((a) => [a.filename, a.contentType])).toEqual([['damp-guide.png', 'image/png']]);
    expect(mail.attachments[0].content.equals(PNG)).toBe(true);
    await page.locator('[role="log"] .hub-msg__attachments a', { hasText: 'damp-guide.png' }).waitFor();
    expect(await page.locator('#reply-files').isHidden()).toBe(true);
    expect(await page.locator('#reply-text').inputValue()).toBe('');
    expect(await seriousViolations(page)).toEqual([]);
  });

  it('raised no script error and no Content-Security-Policy violation along the way', () => {
    expect(problems).toEqual([]);
  });
});
