import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Channel } from '../src/common/enum';
import { InboxConfig } from '../src/channels/channel-adapter';
import { caseIdFromReplyAddress, messageRowIdOf, outboundMessageId, replyAddress } from '../src/channels/email/email-addressing';
import { classifyAutomatic } from '../src/channels/email/email-automatic';
import { EmailIntake, EmailRefused } from '../src/channels/email/email-intake';
import { sanitiseHtml } from '../src/channels/email/html-sanitiser';
import { trimReply } from '../src/channels/email/reply-trimmer';
import { subjectFor } from '../src/channels/email/email.adapter';

const TO = 'housing@council.test';

/** A fixture with its {{PLACEHOLDERS}} filled in (unnamed ones left empty). */
function fixture(name: string, values: Record<string, string> = {}): Buffer {
  const raw = readFileSync(join(__dirname, 'fixtures', 'email', name));
  const all: Record<string, string> = { TO, MSGID: `${name}-${Math.random().toString(36).slice(2)}@mail.example`, REF: 'C-2026-000042', ...values };
  return Buffer.from(raw.toString('latin1').replace(/\{\{([A-Z_]+)\}\}/g, (_, key: string) => all[key] ?? ''), 'latin1');
}

const envelope = { mailFrom: 'someone@mail.example', rcptTo: [TO] };

async function refusal(p: Promise<unknown>): Promise<EmailRefused> {
  try {
    await p;
  } catch (e) {
    if (e instanceof EmailRefused) return e;
    throw e;
  }
  throw new Error('expected the message to be refused');
}

describe(EmailIntake.name, () => {
  const sut = new EmailIntake({ maxAttachments: 5, maxAttachmentBytes: 1024 * 1024 });

  describe('parse', () => {
    it('reads a Gmail reply: trimmed text shown, full text and sanitised HTML kept, threading headers kept', async () => {
      const email = await sut.parse(fixture('gmail-reply.eml', { MSGID: 'CAGmail123@mail.gmail.example', IN_REPLY_TO: '<hub.1@council.test>', REFERENCES: '<a@x> <hub.1@council.test>' }), envelope);
      expect(email.messageId).toBe('CAGmail123@mail.gmail.example');
      expect(email.externalId).toBe('CAGmail123@mail.gmail.example');
      expect(email.sender).toEqual({ address: 'jane.resident@gmail.example', name: 'Jane Resident' });
      expect(email.subject).toBe('Re: Missed bin collection [C-2026-000042]');
      expect(email.text).toBe('Thanks — the bin is still by the gate at 12 Acacia Avenue.\n\nCould someone come on Thursday?');
      expect(email.textFull).toContain('We have logged your missed collection.');
      expect(email.inReplyTo).toEqual(['hub.1@council.test']);
      expect(email.references).toEqual(['a@x', 'hub.1@council.test']);
      expect(email.html).toContain('Could someone come on Thursday?');
      expect(email.html).not.toMatch(/script|tracker\.example|<img/);
      expect(email.automatic).toBeUndefined();
      expect(email.recipients).toContain(TO);
    });

    it('reads an Outlook reply: the "From: / Sent:" block and everything under it is cut', async () => {
      const email = await sut.parse(fixture('outlook-reply.eml'), envelope);
      expect(email.sender.name).toBe('Smith, Robert');
      expect(email.text).toBe('Hello,\n\nI have attached the letter now. Please let me know if you need anything else.\n\nKind regards,\nRobert');
      expect(email.textFull).toContain('Please send us a copy of the letter.');
      expect(email.inReplyTo).toEqual([]);
      expect(email.html).not.toContain('MsoNormal{');
    });

    it('reads an Apple Mail reply: "Sent from my iPhone" and the quote are cut', async () => {
      const email = await sut.parse(fixture('apple-mail-reply.eml', { IN_REPLY_TO: '<hub.2@council.test>' }), envelope);
      expect(email.text).toBe('It’s got bigger since Monday, a car lost a hubcap there this morning.');
      expect(email.html).toBeUndefined();
    });

    it('keeps a forwarded message whole: the forwarded part is what the resident wants read', async () => {
      const email = await sut.parse(fixture('forwarded.eml'), envelope);
      expect(email.text).toContain('How do I renew it?');
      expect(email.textFull).toBe(email.text);
    });

    it('decodes a Latin-1 message and its encoded subject and sender name', async () => {
      const email = await sut.parse(fixture('latin1.eml'), envelope);
      expect(email.subject).toBe('Facture à payer £120');
      expect(email.sender).toEqual({ address: 'renee@orange.example', name: 'Renée Dupré' });
      expect(email.text).toContain('I was charged £120 for the café licence');
    });

    it('lists attachments as metadata and refuses one over the limit with 552', async () => {
      const email = await sut.parse(fixture('large-attachment.eml'), envelope);
      expect(email.attachments).toEqual([{ filename: 'flytip.jpg', contentType: 'image/jpeg', size: 300_000 }]);
      const small = new EmailIntake({ maxAttachments: 5, maxAttachmentBytes: 100_000 });
      const refused = await refusal(small.parse(fixture('large-attachment.eml'), envelope));
      expect([refused.smtpCode, refused.enhancedCode]).toEqual([552, '5.3.4']);
    });

    it('uses Reply-To as the sender when given', async () => {
      const raw = Buffer.from(`From: Front Desk <desk@school.example>\nReply-To: parent@home.example\nTo: ${TO}\nSubject: x\n\nhello\n`);
      expect((await sut.parse(raw, envelope)).sender.address).toBe('parent@home.example');
    });

    it('makes a stable fallback id from sender, date, subject and body when there is no Message-ID', async () => {
      const raw = () => Buffer.from(`From: a@b.example\nTo: ${TO}\nDate: Sat, 7 Nov 2026 08:30:00 +0000\nSubject: no id\n\nhello\n`);
      const [one, two] = [await sut.parse(raw(), envelope), await sut.parse(raw(), envelope)];
      expect(one.externalId).toMatch(/^hash:[0-9a-f]{40}$/);
      expect(two.externalId).toBe(one.externalId);
    });

    it.each([
      ['no-from.eml', 550, '5.1.7'],
      ['malformed-not-mime.eml', 554, '5.6.0'],
      ['malformed-no-boundary.eml', 554, '5.6.0'],
    ])('refuses %s with %i', async (name, code, enhanced) => {
      const refused = await refusal(sut.parse(fixture(name), envelope));
      expect([refused.smtpCode, refused.enhancedCode]).toEqual([code, enhanced]);
    });

    it('marks an out-of-office as an auto-reply and a DSN as a bounce naming the returned Message-ID', async () => {
      expect((await sut.parse(fixture('out-of-office.eml'), envelope)).automatic).toBe('auto-reply');
      const bounce = await sut.parse(fixture('dsn-bounce.eml', { BOUNCED_ID: 'hub.abc@council.test' }), { mailFrom: '', rcptTo: [TO] });
      expect(bounce.automatic).toBe('bounce');
      expect(bounce.bounce?.messageIds).toEqual(['hub.abc@council.test']);
      expect(bounce.bounce?.reason).toContain('550 5.1.1');
    });
  });

  describe('toInbound', () => {
    const inbox: InboxConfig = { id: 'i1', channel: Channel.Email, name: 'Housing', address: TO, departmentId: 'd1', secret: 's', settings: {} };

    it('threads onto the case found, or asks for a new case', async () => {
      const email = await sut.parse(fixture('gmail-reply.eml'), envelope);
      expect(sut.toInbound(email, inbox, { caseId: 'c1' })).toMatchObject({ channel: Channel.Email, caseId: 'c1', newThread: false, textFull: email.textFull });
      expect(sut.toInbound(email, inbox, {})).toMatchObject({ caseId: undefined, newThread: true });
    });
  });
});

describe('classifyAutomatic', () => {
  const facts = (headers: Record<string, string>, extra: Partial<Parameters<typeof classifyAutomatic>[0]> = {}) => ({
    header: (name: string) => (headers[name] === undefined ? [] : [headers[name]]),
    fromAddress: 'someone@mail.example',
    envelopeFrom: 'someone@mail.example',
    ...extra,
  });

  it.each([
    [{ 'auto-submitted': 'auto-replied' }, 'auto-reply'],
    [{ 'auto-submitted': 'auto-generated; type=ooo' }, 'auto-reply'],
    [{ 'x-autoreply': 'yes' }, 'auto-reply'],
    [{ precedence: 'bulk' }, 'auto-reply'],
    [{ precedence: 'auto_reply' }, 'auto-reply'],
    [{ 'list-id': '<news.council.test>' }, 'auto-reply'],
    [{ 'x-failed-recipients': 'a@b' }, 'bounce'],
    [{ 'return-path': '<>' }, 'bounce'],
  ])('%j → %s', (headers, kind) => {
    expect(classifyAutomatic(facts(headers))).toBe(kind);
  });

  it('takes Auto-Submitted: no and X-Auto-Response-Suppress as a person’s mail', () => {
    expect(classifyAutomatic(facts({ 'auto-submitted': 'no', 'x-auto-response-suppress': 'All' }))).toBeUndefined();
  });

  it('knows out-of-office subjects, MAILER-DAEMON, postmaster and the null sender', () => {
    expect(classifyAutomatic(facts({}, { subject: 'Out of Office: back Monday' }))).toBe('auto-reply');
    expect(classifyAutomatic(facts({}, { subject: 'Automatic reply: Re: bins' }))).toBe('auto-reply');
    expect(classifyAutomatic(facts({}, { subject: 'Re: my office is out of paper' }))).toBeUndefined();
    expect(classifyAutomatic(facts({}, { subject: 'Absence of bin collection' }))).toBeUndefined();
    expect(classifyAutomatic(facts({}, { subject: 'Out of office hours noise from the pub' }))).toBeUndefined();
    expect(classifyAutomatic(facts({}, { subject: 'Out of Office' }))).toBe('auto-reply');
    expect(classifyAutomatic(facts({}, { subject: 'OOO: back on the 9th' }))).toBe('auto-reply');
    expect(classifyAutomatic(facts({}, { fromAddress: 'MAILER-DAEMON@mx.example' }))).toBe('bounce');
    expect(classifyAutomatic(facts({}, { fromAddress: 'postmaster@mx.example' }))).toBe('bounce');
    expect(classifyAutomatic(facts({}, { envelopeFrom: '' }))).toBe('bounce');
    expect(classifyAutomatic(facts({}, { contentType: 'multipart/report; report-type=delivery-status; boundary=x' }))).toBe('bounce');
  });
});

describe('trimReply', () => {
  it('cuts "On … wrote:" wrapped over two lines', () => {
    const body = 'Yes please.\n\nOn Mon, 2 Nov 2026 at 09:00, Council Housing Team <housing@council.test>\nwrote:\n> old text';
    expect(trimReply(body)).toEqual({ text: 'Yes please.', trimmed: true });
  });

  it('cuts "-----Original Message-----" and the "-- " signature', () => {
    expect(trimReply('Done.\n-- \nJo Bloggs\n07700 900123').text).toBe('Done.');
    expect(trimReply('Done.\n\n-----Original Message-----\nFrom: x').text).toBe('Done.');
  });

  it('keeps interleaved answers between quoted lines', () => {
    const body = 'See below.\n> Which bin?\nThe green one.\n> Which day?\nTuesday.';
    expect(trimReply(body)).toEqual({ text: body, trimmed: false });
  });

  it('cuts a bottom quote followed by a short name', () => {
    expect(trimReply('Tuesday suits me.\n\n> Which day?\n> Regards\nJo').text).toBe('Tuesday suits me.');
  });

  it('keeps everything when a cut would leave nothing', () => {
    expect(trimReply('> only a quote\n> nothing else')).toEqual({ text: '> only a quote\n> nothing else', trimmed: false });
  });

  it('does not cut at a line merely starting with "From:" in the resident’s own text', () => {
    expect(trimReply('From: my neighbour, who also had no collection.\nThanks').text).toBe('From: my neighbour, who also had no collection.\nThanks');
  });
});

describe('sanitiseHtml', () => {
  it('keeps structure and safe links, drops scripts, styles, handlers, images and javascript: links', () => {
    const out = sanitiseHtml(
      '<div onclick="x()"><p>Hi <b>there</b><script>alert(1)</script><img src="http://t/x.gif"><style>p{}</style>' +
        '<a href="javascript:alert(1)">bad</a> <a href="https://ok.example/a?b=1&c=2">ok</a><svg><g><circle/></g></svg>end<br/>&lt;tag&gt;</div><p>unclosed',
    );
    expect(out).toBe(
      '<div><p>Hi <b>there</b><a>bad</a> <a href="https://ok.example/a?b=1&amp;c=2" rel="noopener noreferrer nofollow">ok</a>end<br>&lt;tag&gt;</p></div><p>unclosed</p>',
    );
  });
});

describe('reply addresses and Message-IDs', () => {
  const inbox = { address: 'housing@council.test', secret: 'inbox-secret' };
  const caseId = '0b7e2c3a-1d2f-4e5a-8b9c-0d1e2f3a4b5c';

  it('round-trips the case id through the reply address, only with the inbox secret', () => {
    const address = replyAddress(caseId, inbox);
    expect(address).toMatch(/^reply\+[0-9a-f]{56}@council\.test$/);
    expect(caseIdFromReplyAddress(address, inbox.secret)).toBe(caseId);
    expect(caseIdFromReplyAddress(address.toUpperCase(), inbox.secret)).toBe(caseId);
    expect(caseIdFromReplyAddress(address, 'another-secret')).toBeUndefined();
    const forged = address.replace(/^reply\+0/, 'reply+1');
    expect(caseIdFromReplyAddress(forged, inbox.secret)).toBeUndefined();
  });

  it('names our message rows in our Message-IDs', () => {
    const id = outboundMessageId(caseId, inbox.address);
    expect(id).toBe(`hub.${caseId}@council.test`);
    expect(messageRowIdOf(id)).toBe(caseId);
    expect(messageRowIdOf('CAGmail@mail.gmail.com')).toBeUndefined();
  });

  it('keeps one "Re:" and the case reference in reply subjects', () => {
    expect(subjectFor('Missed bin collection', 'C-2026-000001')).toBe('Re: Missed bin collection [C-2026-000001]');
    expect(subjectFor('Re: Missed bin [C-2026-000001]', 'C-2026-000001')).toBe('Re: Missed bin [C-2026-000001]');
    expect(subjectFor(null, 'C-2026-000001')).toBe('Re: Your enquiry [C-2026-000001]');
  });
});
