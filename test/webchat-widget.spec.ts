import { accessibleColour, contrastWithWhite, parseHex } from '../web/widget/colour';
import type { WebchatMessage } from '../web/widget/protocol';
import { chooseLang, fileSize, STRINGS, typeList } from '../web/widget/strings';
import { TranscriptStore } from '../web/widget/transcript-store';
import { closedWording, dayText, errorSentence, hoursText, nextOpenText } from '../web/widget/wording';
import { Clock, TypingSignal } from '../web/widget/typing';

/** The widget's rules that need no browser: colour contrast, the typing throttle, merging messages, the strings. */

const contrast = (hex: string) => contrastWithWhite(...parseHex(hex)!);

describe('accessibleColour (data-colour)', () => {
  it('keeps a council colour that already gives 4.5:1 with white text', () => {
    expect(accessibleColour('#1d4f76')).toBe('#1d4f76');
    expect(accessibleColour('#0B0C0C')).toBe('#0b0c0c');
  });

  it('darkens a pale colour until white text on it reaches 4.5:1, keeping its hue', () => {
    for (const pale of ['#ffdd00', '#ffffff', '#fff', '#00ff00', '#f47738', '#85994b']) {
      const safe = accessibleColour(pale);
      expect(contrast(safe)).toBeGreaterThanOrEqual(4.5);
    }
    const [r, g, b] = parseHex(accessibleColour('#ffdd00'))!;
    expect(r).toBeGreaterThan(b); // still a yellow-brown, not grey
    expect(g).toBeGreaterThan(b);
  });

  it('falls back to the default for anything that is not a hex colour', () => {
    for (const bad of [null, undefined, '', 'blue', 'rgb(0,0,0)', '#12345', 'url(x)']) expect(accessibleColour(bad)).toBe('#1d70b8');
  });
});

describe(TypingSignal.name, () => {
  function harness() {
    let now = 0;
    let timer: { fn: () => void; at: number } | undefined;
    const sent: Array<[number, boolean]> = [];
    const clock: Clock = {
      now: () => now,
      setTimeout: (fn, ms) => (timer = { fn, at: now + ms }),
      clearTimeout: () => (timer = undefined),
    };
    const sut = new TypingSignal((typing) => sent.push([now, typing]), clock);
    const advance = (to: number) => {
      now = to;
      if (timer && timer.at <= now) {
        const t = timer;
        timer = undefined;
        t.fn();
      }
    };
    return { sut, sent, advance };
  }

  it('sends true at most every 3 s while keys are pressed, and false once after 5 s without a key', () => {
    const { sut, sent, advance } = harness();
    for (const at of [0, 500, 1000, 2999, 3000, 4000, 5999, 6000]) {
      advance(at);
      sut.keystroke();
    }
    advance(10_999);
    expect(sent).toEqual([
      [0, true],
      [3000, true],
      [6000, true],
    ]);
    advance(11_000);
    expect(sent[sent.length - 1]).toEqual([11_000, false]);
    advance(20_000);
    expect(sent).toHaveLength(4);
  });

  it('says false at once when the message is sent, and nothing when it was not typing', () => {
    const { sut, sent, advance } = harness();
    sut.stop();
    expect(sent).toEqual([]);
    sut.keystroke();
    advance(100);
    sut.stop();
    expect(sent).toEqual([
      [0, true],
      [100, false],
    ]);
    advance(1000);
    sut.keystroke(); // a new message: true again at once
    expect(sent[sent.length - 1]).toEqual([1000, true]);
  });
});

describe(TranscriptStore.name, () => {
  const msg = (over: Partial<WebchatMessage>): WebchatMessage => ({
    id: 'm1',
    clientId: null,
    direction: 'agent',
    text: 'hi',
    authorName: 'Ada',
    attachments: [],
    createdAt: '2026-11-27T10:00:00.000Z',
    readByAgent: false,
    ...over,
  });

  it('matches the resident’s optimistic bubble to the server’s copy by clientId, from the ack, the live event or a sync', () => {
    const sut = new TranscriptStore();
    const pending = sut.addPending('c-1', 'My bin', [], new Date('2026-11-27T10:01:00Z'));
    expect(sut.unconfirmed()).toEqual([pending]);
    const fromOtherTab = sut.upsert(msg({ id: 'm2', clientId: 'c-1', direction: 'resident', text: 'My bin', authorName: null, createdAt: '2026-11-27T10:01:00.100Z' }));
    expect(fromOtherTab).toEqual({ entry: pending, added: false });
    expect(sut.upsert(msg({ id: 'm2', clientId: 'c-1', direction: 'resident', text: 'My bin', authorName: null })).added).toBe(false);
    expect(sut.entries).toHaveLength(1);
    expect(pending.state).toBe('sent');
    expect(sut.unconfirmed()).toEqual([]);
  });

  it('puts history and live messages in time order, before bubbles still on their way', () => {
    const sut = new TranscriptStore();
    sut.upsert(msg({ id: 'a', createdAt: '2026-11-27T10:00:00.000Z' }));
    const pending = sut.addPending('c-9', 'later', [], new Date('2026-11-27T10:05:00Z'));
    sut.upsert(msg({ id: 'c', createdAt: '2026-11-27T10:03:00.000Z' }));
    sut.upsert(msg({ id: 'b', createdAt: '2026-11-27T10:02:00.000Z' }));
    expect(sut.entries.map((e) => e.message.id || e.message.clientId)).toEqual(['a', 'b', 'c', 'c-9']);
    expect(sut.entries[3]).toBe(pending);
  });

  it('marks the resident’s messages read up to the one the agent has read, and never unreads them', () => {
    const sut = new TranscriptStore();
    sut.upsert(msg({ id: 'r1', direction: 'resident', createdAt: '2026-11-27T10:00:00.000Z' }));
    sut.upsert(msg({ id: 'a1', direction: 'agent', createdAt: '2026-11-27T10:01:00.000Z' }));
    sut.upsert(msg({ id: 'r2', direction: 'resident', createdAt: '2026-11-27T10:02:00.000Z' }));
    sut.upsert(msg({ id: 'r3', direction: 'resident', createdAt: '2026-11-27T10:03:00.000Z' }));
    expect(sut.markReadUpTo('r2').map((e) => e.message.id)).toEqual(['r1', 'r2']);
    expect(sut.markReadUpTo('unknown')).toEqual([]);
    sut.upsert(msg({ id: 'r1', direction: 'resident', readByAgent: false }));
    expect(sut.entries.find((e) => e.message.id === 'r1')!.message.readByAgent).toBe(true);
    expect(sut.lastFromAgent()?.id).toBe('a1');
  });
});

describe('widget strings', () => {
  it('has every English string in Welsh too, in Welsh (not a copy of the English)', () => {
    const en = STRINGS.en as unknown as Record<string, unknown>;
    const cy = STRINGS.cy as unknown as Record<string, unknown>;
    expect(Object.keys(cy).sort()).toEqual(Object.keys(en).sort());
    const args: Record<string, unknown[]> = { dayList: [['Xday', 'Yday']] };
    const sample = (v: unknown, k: string) => (typeof v === 'function' ? String((v as (...a: unknown[]) => unknown)(...(args[k] ?? ['X', 'Y']))) : JSON.stringify(v));
    const same = Object.keys(en).filter((k) => !['welshWelcome', 'errors'].includes(k) && sample(en[k], k) === sample(cy[k], k));
    expect(same).toEqual([]);
    expect(STRINGS.cy.launcher).toBe('Sgwrsio â ni');
    expect(STRINGS.cy.send).toBe('Anfon');
    expect(STRINGS.cy.message).toBe('Ysgrifennwch eich neges');
    // "â" becomes "ag" before a vowel, and brings the aspirate mutation.
    expect(STRINGS.cy.title('Anytown Borough Council')).toBe('Sgwrsio ag Anytown Borough Council');
    expect(STRINGS.cy.title('Cyngor Sir Ynys Môn')).toBe('Sgwrsio â Chyngor Sir Ynys Môn');
    expect(STRINGS.cy.ended('Cyngor Gwynedd')).toContain('Diolch am gysylltu â Chyngor Gwynedd.');
    expect(STRINGS.cy.title('Ynys Môn')).toBe('Sgwrsio ag Ynys Môn');
    expect(STRINGS.cy.title('Wrexham Council')).toBe('Sgwrsio â Wrexham Council');
  });

  it('takes the language from data-lang, else from the browser (Welsh for cy*)', () => {
    expect(chooseLang('cy', ['en-GB'])).toBe('cy');
    expect(chooseLang('en', ['cy-GB'])).toBe('en');
    expect(chooseLang(null, ['cy-GB', 'en-GB'])).toBe('cy');
    expect(chooseLang('', ['fr-FR'])).toBe('en');
    expect(chooseLang('de', [])).toBe('en');
  });

  it('names file sizes and types in words a resident knows', () => {
    expect(fileSize(10 * 1024 * 1024)).toBe('10 MB');
    expect(fileSize(300)).toBe('1 KB');
    expect(typeList(['image/png', 'image/jpeg', 'application/pdf'], 'or')).toBe('PNG, JPEG or PDF');
    expect(typeList(['image/png'], 'neu')).toBe('PNG');
  });
});

describe('wording what the hub sends as data (hours, why closed, error codes)', () => {
  const { en, cy } = STRINGS;
  const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri'] as const;

  it('words a week of opening hours in English and in Welsh, with the soft mutation after "i"', () => {
    const week = [
      { days: [...weekdays.slice(0, 4)], opens: '09:00', closes: '17:00' },
      { days: ['fri' as const], opens: '09:00', closes: '16:30' },
      { days: ['sat' as const], opens: '10:00', closes: '12:00' },
      { days: ['sat' as const], opens: '13:00', closes: '15:00' },
    ];
    expect(hoursText(en, week, true)).toBe('Monday to Thursday 9am to 5pm; Friday 9am to 4:30pm; Saturday 10am to 12pm and 1pm to 3pm; closed on bank holidays');
    expect(hoursText(cy, week, true)).toBe('Dydd Llun i ddydd Iau 9am i 5pm; Dydd Gwener 9am i 4:30pm; Dydd Sadwrn 10am i 12pm a 1pm i 3pm; ar gau ar wyliau banc');
    const always = [{ days: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const, opens: '00:00', closes: '24:00' }].map((e) => ({ ...e, days: [...e.days] }));
    expect(hoursText(en, always, false)).toBe('Monday to Sunday midnight to midnight');
    expect(hoursText(cy, always, false)).toBe('Dydd Llun i ddydd Sul hanner nos i hanner nos');
  });

  it('names every day in Welsh, and lists days that do not follow each other', () => {
    expect(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => cy.days[d as 'mon'])).toEqual(['Dydd Llun', 'Dydd Mawrth', 'Dydd Mercher', 'Dydd Iau', 'Dydd Gwener', 'Dydd Sadwrn', 'Dydd Sul']);
    expect(dayText(en, ['fri', 'mon', 'wed'])).toBe('Monday, Wednesday and Friday');
    expect(dayText(cy, ['mon', 'wed', 'fri'])).toBe('Dydd Llun, dydd Mercher a dydd Gwener');
    expect(dayText(en, ['sat', 'sun'])).toBe('Saturday and Sunday');
    expect(dayText(cy, ['sat', 'sun'])).toBe('Dydd Sadwrn a dydd Sul');
    expect(dayText(cy, ['tue', 'wed', 'thu'])).toBe('Dydd Mawrth i ddydd Iau');
  });

  it('says when the chat opens again in the council’s time zone: today, tomorrow, a day this week, or a date further on', () => {
    // Friday 27 November 2026, 18:00 in London (GMT).
    const now = new Date('2026-11-27T18:00:00Z');
    expect(nextOpenText(en, '2026-11-30T09:00:00Z', 'Europe/London', now)).toBe('We open again on Monday at 9am.');
    expect(nextOpenText(cy, '2026-11-30T09:00:00Z', 'Europe/London', now)).toBe('Byddwn ar agor eto ddydd Llun am 9am.');
    expect(nextOpenText(en, '2026-11-28T08:30:00Z', 'Europe/London', now)).toBe('We open again tomorrow at 8:30am.');
    expect(nextOpenText(cy, '2026-11-28T08:30:00Z', 'Europe/London', now)).toBe('Byddwn ar agor eto yfory am 8:30am.');
    expect(nextOpenText(cy, '2026-11-27T19:00:00Z', 'Europe/London', now)).toBe('Byddwn ar agor eto heddiw am 7pm.');
    expect(nextOpenText(en, '2026-12-29T09:00:00Z', 'Europe/London', now)).toBe('We open again on Tuesday 29 December at 9am.');
    expect(nextOpenText(cy, '2026-12-29T09:00:00Z', 'Europe/London', now)).toBe('Byddwn ar agor eto ddydd Mawrth 29 Rhagfyr am 9am.');
    // British Summer Time: 08:00 UTC is 9am in London.
    expect(nextOpenText(en, '2026-06-01T08:00:00Z', 'Europe/London', new Date('2026-05-29T17:00:00Z'))).toBe('We open again on Monday at 9am.');
    expect(nextOpenText(en, 'not a date', 'Europe/London', now)).toBe('');
    expect(nextOpenText(en, '2026-11-30T09:00:00Z', 'Not/AZone', now)).toBe('');
  });

  it('words a closed chat by its reason, and never shows the hub’s English hours in Welsh', () => {
    const closed = { open: false, reason: 'closed' as const, hours: [{ days: [...weekdays], opens: '09:00', closes: '17:00' }], closedOnBankHolidays: true, timeZone: 'Europe/London', nextOpen: '2026-11-30T09:00:00Z' };
    const now = new Date('2026-11-28T12:00:00Z');
    expect(closedWording(cy, 'cy', closed, 'Monday to Friday 9am to 5pm', now)).toEqual({
      title: 'Rydym ar gau ar hyn o bryd',
      next: 'Byddwn ar agor eto ddydd Llun am 9am.',
      hours: 'Dydd Llun i ddydd Gwener 9am i 5pm; ar gau ar wyliau banc',
    });
    expect(closedWording(en, 'en', closed, 'Monday to Friday 9am to 5pm', now).title).toBe('We’re closed at the moment');
    const nobody = { ...closed, reason: 'nobody' as const, nextOpen: null };
    expect(closedWording(cy, 'cy', nobody, undefined, now)).toMatchObject({ title: 'Does neb ar gael i sgwrsio ar hyn o bryd', next: '' });
    expect(cy.closedTitle + '. ' + cy.replyHere).toMatch(/^Does neb ar gael i sgwrsio ar hyn o bryd\. Gadewch neges a byddwn yn ateb/);
    // An older hub sends only its English sentence: shown in English, left out in Welsh.
    expect(closedWording(en, 'en', { open: false }, 'Monday to Friday 9am to 5pm', now)).toEqual({ title: 'No one is available to chat right now', next: '', hours: 'Monday to Friday 9am to 5pm' });
    expect(closedWording(cy, 'cy', { open: false }, 'Monday to Friday 9am to 5pm', now).hours).toBe('');
  });

  it('words errors from their code and field, not from the hub’s English message', () => {
    const say = (lang: 'en' | 'cy', error: { code: string; message: string; field?: string }) => errorSentence(STRINGS[lang], lang, error, 2000);
    expect(say('en', { code: 'Validation', message: 'email: email must be an email address' })).toBe('Enter an email address in the correct format, like name@example.com');
    expect(say('cy', { code: 'Validation', message: 'email must be an email address' })).toBe('Rhowch gyfeiriad e-bost yn y fformat cywir, fel enw@enghraifft.com');
    expect(say('cy', { code: 'Validation', message: 'text: must be at most 2000 characters', field: 'text' })).toBe('Rhowch neges o 2,000 nod neu lai');
    expect(say('en', { code: 'Validation', message: 'text: must not be empty' })).toBe('Enter a message of 2,000 characters or fewer');
    expect(say('cy', { code: 'Validation', message: 'serviceId: not a service of this council', field: 'serviceId' })).toBe('Dewiswch bwnc eich ymholiad o’r rhestr');
    expect(say('en', { code: 'Validation', message: 'clientId: must match /^[A-Za-z0-9._:-]+$/' })).toBe('Check your message and try again.');
    expect(say('cy', { code: 'RateLimited', message: 'Too many messages: try again in 20 seconds' })).toBe('Rydych chi’n anfon negeseuon yn rhy gyflym. Arhoswch ychydig a rhowch gynnig arall arni.');
    expect(say('cy', { code: 'PayloadTooLarge', message: 'File too large' })).toBe('Mae hynny’n rhy fawr i’w anfon.');
    expect(say('en', { code: 'UnsupportedType', message: 'file content is text/html, not allowed' })).toBe('That type of file cannot be sent.');
    // An unknown code: the hub's words in English (better than nothing), never in Welsh.
    expect(say('en', { code: 'Teapot', message: 'I am a teapot' })).toBe('I am a teapot');
    expect(say('cy', { code: 'Teapot', message: 'I am a teapot' })).toBe(cy.errors.Unavailable);
    expect(cy.errFileType('bil.png', typeList(['image/png', 'application/pdf'], cy.or))).toBe('Does dim modd atodi bil.png: dim ond ffeiliau PNG neu PDF y gallwch eu hanfon');
  });
});
