import type { Lang, Weekday } from './protocol';

/**
 * Every word the widget shows, one table per language (Welsh Language Standards: the Welsh interface is complete
 * and no less favoured). The hub sends data (opening hours, why the chat is closed, error codes) that the widget
 * words from these tables (web/widget/wording.ts); only the agent's and the resident's own words are shown as they come.
 */
export interface Strings {
  locale: string;
  launcher: string;
  launcherUnread(n: number): string;
  title(council: string): string;
  close: string;
  connecting: string;
  reconnecting: string;
  unavailable: string;
  tryAgain: string;
  prechatIntro: string;
  welshWelcome: string | null;
  optional: string;
  name: string;
  email: string;
  emailHint: string;
  phone: string;
  service: string;
  serviceNone: string;
  message: string;
  start: string;
  send: string;
  errorSummary: string;
  errName: string;
  errNameLong: string;
  errEmail: string;
  errPhone: string;
  errMessageEmpty: string;
  errMessageLong(max: number, length: number): string;
  attach: string;
  attachHint(types: string, max: string): string;
  or: string;
  errFileTooBig(file: string, max: string): string;
  errFileType(file: string, types: string): string;
  errFileFailed(file: string): string;
  errTooManyFiles(max: number): string;
  uploading(file: string): string;
  attached(file: string): string;
  removeFile(file: string): string;
  you: string;
  sending: string;
  sent: string;
  read: string;
  notSent: string;
  retry: string;
  agentTyping(name: string): string;
  agentJoined(name: string): string;
  chattingWith(name: string): string;
  waiting: string;
  queuePosition(n: number): string;
  waitMinutes(n: number): string;
  waitUnderMinute: string;
  /** reason `nobody`: in the hours, but no agent available. */
  closedTitle: string;
  /** reason `closed`: outside the hours. */
  closedNow: string;
  openingHours(hours: string): string;
  days: Record<Weekday, string>;
  months: readonly string[];
  /** Consecutive days: "Monday to Friday". */
  dayRange(first: string, last: string): string;
  /** Days that are not consecutive: "Monday, Wednesday and Friday". */
  dayList(days: string[]): string;
  timeRange(opens: string, closes: string): string;
  /** Between two openings of the same days: "9am to 12:30pm and 1:30pm to 5pm". */
  and: string;
  midnight: string;
  bankHolidaysClosed: string;
  /** `when` from today, tomorrow or onDay. */
  opensAgain(when: string, time: string): string;
  today: string;
  tomorrow: string;
  onDay(day: string, date: string | null): string;
  replyHereAndEmail: string;
  replyHereOrEmail: string;
  replyHere: string;
  endChat: string;
  endQuestion: string;
  transcript: string;
  transcriptTo(email: string): string;
  endConfirm: string;
  carryOn: string;
  ended(council: string): string;
  endedTranscript(email: string): string;
  newChat: string;
  reference(ref: string): string;
  conversation: string;
  /** A `Validation` error about one field of a payload, by the field's name in the protocol. */
  fieldErrors: Record<'name' | 'email' | 'phone' | 'serviceId' | 'attachmentIds', string>;
  errMessageInvalid(max: number): string;
  errors: Record<'Validation' | 'NotFound' | 'Forbidden' | 'Unauthorized' | 'RateLimited' | 'PayloadTooLarge' | 'UnsupportedType' | 'Unavailable', string>;
}

const en: Strings = {
  locale: 'en-GB',
  launcher: 'Chat with us',
  launcherUnread: (n) => `Chat with us: ${n} new ${n === 1 ? 'message' : 'messages'}`,
  title: (council) => `Chat with ${council}`,
  close: 'Close chat',
  connecting: 'Connecting…',
  reconnecting: 'Connection lost. Trying to reconnect…',
  unavailable: 'Sorry, the chat is not available at the moment. Please try again later.',
  tryAgain: 'Try again',
  prechatIntro: 'Tell us who you are and how we can help. An adviser will reply here.',
  welshWelcome: 'Mae croeso i chi sgwrsio yn Gymraeg.',
  optional: '(optional)',
  name: 'Your name',
  email: 'Email address',
  emailHint: 'We’ll use it to reply if you leave the page, and to send you a copy of the chat if you ask.',
  phone: 'Phone number',
  service: 'What is it about?',
  serviceNone: 'Not sure or something else',
  message: 'Write your message',
  start: 'Start chat',
  send: 'Send',
  errorSummary: 'There is a problem',
  errName: 'Enter your name',
  errNameLong: 'Your name must be 100 characters or fewer',
  errEmail: 'Enter an email address in the correct format, like name@example.com',
  errPhone: 'Enter a phone number, like 01632 960 001 or 07700 900 982',
  errMessageEmpty: 'Enter a message',
  errMessageLong: (max, length) => `Your message must be ${max.toLocaleString('en-GB')} characters or fewer (it has ${length.toLocaleString('en-GB')})`,
  attach: 'Attach a file',
  attachHint: (types, max) => `${types}, up to ${max}`,
  or: 'or',
  errFileTooBig: (file, max) => `${file} is too big: a file must be ${max} or smaller`,
  errFileType: (file, types) => `${file} cannot be attached: only ${types} files can be sent`,
  errFileFailed: (file) => `${file} could not be attached. Try again`,
  errTooManyFiles: (max) => `You can attach up to ${max} files to one message`,
  uploading: (file) => `Attaching ${file}…`,
  attached: (file) => `${file} attached`,
  removeFile: (file) => `Remove ${file}`,
  you: 'You',
  sending: 'Sending…',
  sent: 'Sent',
  read: 'Read',
  notSent: 'Not sent',
  retry: 'Try sending again',
  agentTyping: (name) => `${name} is typing…`,
  agentJoined: (name) => `${name} has joined the chat`,
  chattingWith: (name) => `You’re chatting with ${name}`,
  waiting: 'Waiting for an adviser to join…',
  queuePosition: (n) => `You are number ${n} in the queue.`,
  waitMinutes: (n) => `Expected wait: about ${n} ${n === 1 ? 'minute' : 'minutes'}.`,
  waitUnderMinute: 'Expected wait: less than a minute.',
  closedTitle: 'No one is available to chat right now',
  closedNow: 'We’re closed at the moment',
  openingHours: (hours) => `Our opening hours are: ${hours}.`,
  days: { mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday' },
  months: ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'],
  dayRange: (first, last) => `${first} to ${last}`,
  dayList: (days) => (days.length < 2 ? days.join('') : `${days.slice(0, -1).join(', ')} and ${days[days.length - 1]}`),
  timeRange: (opens, closes) => `${opens} to ${closes}`,
  and: 'and',
  midnight: 'midnight',
  bankHolidaysClosed: 'closed on bank holidays',
  opensAgain: (when, time) => `We open again ${when} at ${time}.`,
  today: 'today',
  tomorrow: 'tomorrow',
  onDay: (day, date) => `on ${day}${date ? ` ${date}` : ''}`,
  replyHereAndEmail: 'Leave a message and we’ll reply here and by email.',
  replyHereOrEmail: 'Leave a message and we’ll reply here, and by email if you give us your email address.',
  replyHere: 'Leave a message and we’ll reply here when we’re back.',
  endChat: 'End chat',
  endQuestion: 'Do you want to end this chat?',
  transcript: 'Email me a copy of this chat',
  transcriptTo: (email) => `We’ll send it to ${email}`,
  endConfirm: 'Yes, end the chat',
  carryOn: 'No, carry on chatting',
  ended: (council) => `You have ended the chat. Thank you for contacting ${council}.`,
  endedTranscript: (email) => `We’ll email a copy of the chat to ${email}.`,
  newChat: 'Start a new chat',
  reference: (ref) => `Your reference is ${ref}`,
  conversation: 'Conversation',
  fieldErrors: {
    name: 'Enter your name, in 100 characters or fewer',
    email: 'Enter an email address in the correct format, like name@example.com',
    phone: 'Enter a phone number, like 01632 960 001 or 07700 900 982',
    serviceId: 'Choose what it is about from the list',
    attachmentIds: 'A file could not be sent with the message. Remove it and attach it again',
  },
  errMessageInvalid: (max) => `Enter a message of ${max.toLocaleString('en-GB')} characters or fewer`,
  errors: {
    Validation: 'Check your message and try again.',
    NotFound: 'This chat can no longer be used. Start a new chat.',
    Forbidden: 'This chat can no longer be used. Start a new chat.',
    Unauthorized: 'This chat can no longer be used. Start a new chat.',
    RateLimited: 'You’re sending messages too quickly. Wait a moment and try again.',
    PayloadTooLarge: 'That is too big to send.',
    UnsupportedType: 'That type of file cannot be sent.',
    Unavailable: 'We could not reach the council. Check your connection and try again.',
  },
};

/** "Dydd Gwener" → "ddydd Gwener" (soft mutation after "i", and as an adverb of time). */
function softDay(day: string): string {
  return day.replace(/^Dydd /, 'ddydd ');
}

/** "Dydd Mercher" → "dydd Mercher" inside a list. */
function lowerDay(day: string): string {
  return day.replace(/^Dydd /, 'dydd ');
}

/** "â" (with) becomes "ag" before a vowel, and mutates c, p, t to ch, ph, th (aspirate mutation): "â Chyngor Sir …". */
function withA(name: string): string {
  if (/^[aeiouyâêîôûŷ]/i.test(name)) return `ag ${name}`;
  const mutated = /^[cpt][^h]/i.test(name) ? `${name[0]}h${name.slice(1)}` : name;
  return `â ${mutated}`;
}

const cy: Strings = {
  locale: 'cy-GB',
  launcher: 'Sgwrsio â ni',
  launcherUnread: (n) => `Sgwrsio â ni: ${n} neges newydd`,
  title: (council) => `Sgwrsio ${withA(council)}`,
  close: 'Cau’r sgwrs',
  connecting: 'Wrthi’n cysylltu…',
  reconnecting: 'Collwyd y cysylltiad. Wrthi’n ailgysylltu…',
  unavailable: 'Mae’n ddrwg gennym, nid yw’r sgwrs ar gael ar hyn o bryd. Rhowch gynnig arall arni nes ymlaen.',
  tryAgain: 'Rhoi cynnig arall arni',
  prechatIntro: 'Dywedwch wrthym pwy ydych chi a sut gallwn ni helpu. Bydd cynghorydd yn ateb yma.',
  welshWelcome: null,
  optional: '(dewisol)',
  name: 'Eich enw',
  email: 'Cyfeiriad e-bost',
  emailHint: 'Byddwn yn ei ddefnyddio i ateb os byddwch yn gadael y dudalen, ac i anfon copi o’r sgwrs atoch os gofynnwch chi.',
  phone: 'Rhif ffôn',
  service: 'Beth yw pwnc eich ymholiad?',
  serviceNone: 'Ddim yn siŵr neu rywbeth arall',
  message: 'Ysgrifennwch eich neges',
  start: 'Dechrau sgwrsio',
  send: 'Anfon',
  errorSummary: 'Mae problem wedi codi',
  errName: 'Rhowch eich enw',
  errNameLong: 'Rhaid i’ch enw fod yn 100 nod neu lai',
  errEmail: 'Rhowch gyfeiriad e-bost yn y fformat cywir, fel enw@enghraifft.com',
  errPhone: 'Rhowch rif ffôn, fel 01632 960 001 neu 07700 900 982',
  errMessageEmpty: 'Rhowch neges',
  errMessageLong: (max, length) => `Rhaid i’ch neges fod yn ${max.toLocaleString('cy-GB')} nod neu lai (mae ${length.toLocaleString('cy-GB')} ynddi)`,
  attach: 'Atodi ffeil',
  attachHint: (types, max) => `${types}, hyd at ${max}`,
  or: 'neu',
  errFileTooBig: (file, max) => `Mae ${file} yn rhy fawr: rhaid i ffeil fod yn ${max} neu lai`,
  errFileType: (file, types) => `Does dim modd atodi ${file}: dim ond ffeiliau ${types} y gallwch eu hanfon`,
  errFileFailed: (file) => `Nid oedd modd atodi ${file}. Rhowch gynnig arall arni`,
  errTooManyFiles: (max) => `Gallwch atodi hyd at ${max} ffeil i un neges`,
  uploading: (file) => `Wrthi’n atodi ${file}…`,
  attached: (file) => `Wedi atodi ${file}`,
  removeFile: (file) => `Tynnu ${file}`,
  you: 'Chi',
  sending: 'Wrthi’n anfon…',
  sent: 'Wedi’i hanfon',
  read: 'Wedi’i darllen',
  notSent: 'Heb ei hanfon',
  retry: 'Ceisio anfon eto',
  agentTyping: (name) => `Mae ${name} yn teipio…`,
  agentJoined: (name) => `Mae ${name} wedi ymuno â’r sgwrs`,
  chattingWith: (name) => `Rydych chi’n sgwrsio gyda ${name}`,
  waiting: 'Yn aros i gynghorydd ymuno…',
  queuePosition: (n) => `Chi yw rhif ${n} yn y ciw.`,
  waitMinutes: (n) => `Amser aros disgwyliedig: tua ${n} munud.`,
  waitUnderMinute: 'Amser aros disgwyliedig: llai na munud.',
  closedTitle: 'Does neb ar gael i sgwrsio ar hyn o bryd',
  closedNow: 'Rydym ar gau ar hyn o bryd',
  openingHours: (hours) => `Ein horiau agor yw: ${hours}.`,
  days: { mon: 'Dydd Llun', tue: 'Dydd Mawrth', wed: 'Dydd Mercher', thu: 'Dydd Iau', fri: 'Dydd Gwener', sat: 'Dydd Sadwrn', sun: 'Dydd Sul' },
  months: ['Ionawr', 'Chwefror', 'Mawrth', 'Ebrill', 'Mai', 'Mehefin', 'Gorffennaf', 'Awst', 'Medi', 'Hydref', 'Tachwedd', 'Rhagfyr'],
  // "i" (to) brings the soft mutation: "Dydd Llun i ddydd Gwener".
  dayRange: (first, last) => `${first} i ${softDay(last)}`,
  dayList: (days) => {
    const [first, ...rest] = days.map((d, i) => (i === 0 ? d : lowerDay(d)));
    return rest.length ? `${[first, ...rest.slice(0, -1)].join(', ')} a ${rest[rest.length - 1]}` : first ?? '';
  },
  timeRange: (opens, closes) => `${opens} i ${closes}`,
  and: 'a',
  midnight: 'hanner nos',
  bankHolidaysClosed: 'ar gau ar wyliau banc',
  opensAgain: (when, time) => `Byddwn ar agor eto ${when} am ${time}.`,
  today: 'heddiw',
  tomorrow: 'yfory',
  // A day as an adverb of time mutates too: "ddydd Llun".
  onDay: (day, date) => `${softDay(day)}${date ? ` ${date}` : ''}`,
  replyHereAndEmail: 'Gadewch neges a byddwn yn ateb yma a thrwy e-bost.',
  replyHereOrEmail: 'Gadewch neges a byddwn yn ateb yma, a thrwy e-bost os rhowch eich cyfeiriad e-bost i ni.',
  replyHere: 'Gadewch neges a byddwn yn ateb yma pan fyddwn yn ôl.',
  endChat: 'Gorffen y sgwrs',
  endQuestion: 'Ydych chi am orffen y sgwrs hon?',
  transcript: 'Anfonwch gopi o’r sgwrs hon ataf drwy e-bost',
  transcriptTo: (email) => `Byddwn yn ei anfon at ${email}`,
  endConfirm: 'Ydw, gorffen y sgwrs',
  carryOn: 'Na, parhau i sgwrsio',
  ended: (council) => `Rydych chi wedi gorffen y sgwrs. Diolch am gysylltu ${withA(council)}.`,
  endedTranscript: (email) => `Byddwn yn anfon copi o’r sgwrs at ${email} drwy e-bost.`,
  newChat: 'Dechrau sgwrs newydd',
  reference: (ref) => `Eich cyfeirnod yw ${ref}`,
  conversation: 'Sgwrs',
  fieldErrors: {
    name: 'Rhowch eich enw, mewn 100 nod neu lai',
    email: 'Rhowch gyfeiriad e-bost yn y fformat cywir, fel enw@enghraifft.com',
    phone: 'Rhowch rif ffôn, fel 01632 960 001 neu 07700 900 982',
    serviceId: 'Dewiswch bwnc eich ymholiad o’r rhestr',
    attachmentIds: 'Nid oedd modd anfon ffeil gyda’r neges. Tynnwch hi a’i hatodi eto',
  },
  errMessageInvalid: (max) => `Rhowch neges o ${max.toLocaleString('cy-GB')} nod neu lai`,
  errors: {
    Validation: 'Gwiriwch eich neges a rhowch gynnig arall arni.',
    NotFound: 'Does dim modd defnyddio’r sgwrs hon bellach. Dechreuwch sgwrs newydd.',
    Forbidden: 'Does dim modd defnyddio’r sgwrs hon bellach. Dechreuwch sgwrs newydd.',
    Unauthorized: 'Does dim modd defnyddio’r sgwrs hon bellach. Dechreuwch sgwrs newydd.',
    RateLimited: 'Rydych chi’n anfon negeseuon yn rhy gyflym. Arhoswch ychydig a rhowch gynnig arall arni.',
    PayloadTooLarge: 'Mae hynny’n rhy fawr i’w anfon.',
    UnsupportedType: 'Does dim modd anfon y math hwn o ffeil.',
    Unavailable: 'Nid oedd modd cysylltu â’r cyngor. Gwiriwch eich cysylltiad a rhowch gynnig arall arni.',
  },
};

export const STRINGS: Record<Lang, Strings> = { en, cy };

/** data-lang wins; otherwise the browser's first language: Welsh for cy*, English for anything else. */
export function chooseLang(attribute: string | null | undefined, browser: readonly string[]): Lang {
  const wanted = (attribute ?? '').trim().toLowerCase();
  if (wanted.startsWith('cy')) return 'cy';
  if (wanted.startsWith('en')) return 'en';
  return (browser[0] ?? '').toLowerCase().startsWith('cy') ? 'cy' : 'en';
}

/** 10485760 → "10 MB", 2048 → "2 KB". */
export function fileSize(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MB`;
  return `${Math.max(1, Math.round(bytes / 1024))} KB`;
}

const TYPE_NAMES: Record<string, string> = {
  'image/png': 'PNG',
  'image/jpeg': 'JPEG',
  'image/gif': 'GIF',
  'image/webp': 'WebP',
  'application/pdf': 'PDF',
};

/** ['image/png', 'application/pdf'] → "PNG or PDF". */
export function typeList(types: readonly string[], or: string): string {
  const names = types.map((t) => TYPE_NAMES[t] ?? t.split('/').pop()!.toUpperCase());
  return names.length < 2 ? names.join('') : `${names.slice(0, -1).join(', ')} ${or} ${names[names.length - 1]}`;
}
