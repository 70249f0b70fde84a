import { Child, h, replace } from '../console/dom';
import { Connection } from './connection';
import { attachmentHref, startSession, uploadAttachment } from './hub-api';
import { LauncherGuard } from './launcher-guard';
import type { Ack, Attachment, Availability, Commands, Conversation, Cursor, Hello, HubFailure, Lang, Session, Visitor, WebchatMessage } from './protocol';
import { fileSize, STRINGS, Strings, typeList } from './strings';
import { widgetCss } from './styles';
import { Entry, TranscriptStore } from './transcript-store';
import { TypingSignal } from './typing';
import { closedWording, errorField, errorSentence } from './wording';

export interface WidgetConfig {
  /** The hub's origin, from the script's own src. */
  origin: string;
  inbox: string;
  council: string | null;
  /** Already checked for contrast (colour.ts). */
  colour: string;
  lang: Lang;
  position: 'left' | 'right';
}

type View = 'loading' | 'unavailable' | 'prechat' | 'chat' | 'ended';

interface PendingFile {
  file: File;
  state: 'uploading' | 'done';
  attachment?: Attachment;
}

interface ChatParts {
  notice: HTMLElement;
  status: HTMLElement;
  log: HTMLElement;
  typing: HTMLElement;
  text: HTMLTextAreaElement;
  field: HTMLElement;
  error: HTMLElement;
  files: HTMLElement;
  fileInput: HTMLInputElement;
  endBox: HTMLElement;
}

const SVG = 'http://www.w3.org/2000/svg';
const CHAT_ICON = 'M4 3h16a2 2 0 0 1 2 2v11a2 2 0 0 1-2 2H9l-5 4v-4a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2z';
const CLOSE_ICON = 'M6.4 5 12 10.6 17.6 5 19 6.4 13.4 12 19 17.6 17.6 19 12 13.4 6.4 19 5 17.6 10.6 12 5 6.4z';
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[\d\s()-]{7,20}$/;
/** The agent's typing indicator goes out by itself if the "stopped" signal is lost. */
const AGENT_TYPING_MS = 10_000;
/** Attachments one message may carry (the hub's limit). */
const MAX_FILES = 5;

/**
 * The web chat widget: a launcher button and a chat panel in a shadow root on the host page. It talks to the hub
 * per docs/webchat-protocol.md: a session over HTTP (visitor token kept in localStorage), then the /webchat socket.
 * Every text from the server or the resident becomes a text node (h() never parses markup).
 */
export class ChatWidget {
  private readonly s: Strings;
  private readonly root: ShadowRoot;
  private readonly frame: HTMLElement;
  private readonly launcher: HTMLButtonElement;
  private readonly badge: HTMLElement;
  private readonly panel: HTMLElement;
  private readonly title: HTMLElement;
  private readonly subtitle: HTMLElement;
  private readonly body: HTMLElement;
  private readonly store = new TranscriptStore();
  private readonly nodes = new Map<Entry, HTMLElement>();
  private readonly inFlight = new Set<Entry>();
  private readonly typing: TypingSignal;
  private view: View | null = null;
  private chat: ChatParts | null = null;
  private session: Session | null = null;
  private token: string | null;
  private connection: Connection | null = null;
  private starting: Promise<boolean> | null = null;
  private renewals = 0;
  private connected = false;
  private visitor: Visitor | null = null;
  private conversation: Conversation | null = null;
  private agent: { name: string } | null = null;
  private officeOpen = true;
  /** Why the chat is closed and the hours, as the hub last said (session, hello, status). */
  private availability: Availability = { open: true };
  private queuePosition: number | null = null;
  private expectedWait: number | null = null;
  private cursor: Cursor = null;
  private files: PendingFile[] = [];
  private unread = 0;
  private seenSent: string | null;
  private wantFocus = false;
  private agentTypingTimer = 0;

  constructor(
    host: HTMLElement,
    private readonly cfg: WidgetConfig,
  ) {
    this.s = STRINGS[cfg.lang];
    this.token = stored('localStorage', this.key());
    this.seenSent = stored('localStorage', this.key('seen'));
    this.root = host.attachShadow({ mode: 'open' });
    adoptStyles(this.root, widgetCss(cfg.colour));

    this.badge = h('span', { class: 'badge', 'aria-hidden': 'true', hidden: true });
    this.launcher = h(
      'button',
      { type: 'button', class: 'launcher', 'aria-expanded': 'false', 'aria-controls': 'panel', onClick: () => (this.isOpen() ? this.close() : this.open(true)) },
      icon(CHAT_ICON),
      h('span', { class: 'label-long' }, this.s.launcher),
      this.badge,
    );
    this.title = h('h2', { class: 'title', id: 'panel-title', tabindex: '-1' }, this.s.launcher);
    this.subtitle = h('p', { class: 'subtitle' });
    this.body = h('div', { class: 'body' });
    this.panel = h(
      'div',
      { class: 'panel', id: 'panel', role: 'dialog', 'aria-labelledby': 'panel-title', lang: this.s.locale, hidden: true, onKeydown: (e: KeyboardEvent) => this.onKey(e) },
      h(
        'div',
        { class: 'header' },
        h('div', { class: 'header-text' }, this.title, this.subtitle),
        h('button', { type: 'button', class: 'close', 'aria-label': this.s.close, onClick: () => this.close() }, icon(CLOSE_ICON)),
      ),
      this.body,
    );
    this.frame = h('div', { class: 'w', lang: this.s.locale, 'data-position': cfg.position }, this.launcher, this.panel);
    this.root.append(this.frame);
    this.renderTitle();
    this.updateLauncher();
    new LauncherGuard(host, this.launcher);
    this.typing = new TypingSignal((typing) => this.connection?.signal('typing', { typing }), {
      now: () => Date.now(),
      setTimeout: (fn, ms) => window.setTimeout(fn, ms),
      clearTimeout: (handle) => window.clearTimeout(handle as number),
    });
    document.addEventListener('visibilitychange', () => this.markSeen());
    // Zooming in (or turning a phone) resizes the viewport: keep the control being used in sight.
    window.addEventListener('resize', () => {
      const active = this.root.activeElement;
      if (this.isOpen() && active instanceof HTMLElement && this.panel.contains(active)) active.scrollIntoView({ block: 'nearest' });
      if (this.isOpen()) this.panel.setAttribute('aria-modal', String(this.isFullScreen()));
    });

    // A resident with a conversation gets its replies (and the unread count) without opening the panel; a
    // passer-by who never opens it creates no visitor at all.
    if (this.token) void this.ensureSession();
    if (stored('sessionStorage', this.key('open'))) this.open(false);
  }

  // ---- opening and closing -------------------------------------------------------------------------------

  private isOpen(): boolean {
    return !this.panel.hidden;
  }

  open(moveFocus: boolean): void {
    if (!this.isOpen()) {
      this.panel.hidden = false;
      this.frame.classList.add('open');
      this.launcher.setAttribute('aria-expanded', 'true');
      this.panel.classList.add('entering');
      requestAnimationFrame(() => requestAnimationFrame(() => this.panel.classList.remove('entering')));
      // Full screen it behaves as a modal dialog (Tab stays inside); as a corner panel the page stays usable.
      this.panel.setAttribute('aria-modal', String(this.isFullScreen()));
      save('sessionStorage', this.key('open'), '1');
      this.unread = 0;
      this.updateLauncher();
    }
    this.wantFocus = moveFocus;
    if (!this.session) {
      if (!this.view) this.showView('loading');
      void this.ensureSession();
    } else if (moveFocus) this.focusView();
    this.markSeen();
  }

  close(): void {
    this.panel.hidden = true;
    this.frame.classList.remove('open');
    this.launcher.setAttribute('aria-expanded', 'false');
    save('sessionStorage', this.key('open'), null);
    this.typing.stop();
    this.launcher.focus();
  }

  private onKey(e: KeyboardEvent): void {
    if (e.key === 'Escape') {
      e.preventDefault();
      this.close();
      return;
    }
    // Full screen (narrow or zoomed in), the panel hides the page: Tab cycles inside it rather than behind it.
    if (e.key === 'Tab' && this.isFullScreen()) {
      const stops = [...this.panel.querySelectorAll<HTMLElement>('button, [href], input, select, textarea, [tabindex="0"]')].filter(
        (el) => !el.hasAttribute('disabled') && !el.hidden && el.getClientRects().length > 0,
      );
      const first = stops[0];
      const last = stops[stops.length - 1];
      const active = this.root.activeElement;
      if (e.shiftKey && active === first) {
        e.preventDefault();
        last?.focus();
      } else if (!e.shiftKey && active === last) {
        e.preventDefault();
        first?.focus();
      }
    }
  }

  private isFullScreen(): boolean {
    const rect = this.panel.getBoundingClientRect();
    return rect.width >= window.innerWidth - 1 && rect.height >= window.innerHeight - 1;
  }

  private updateLauncher(): void {
    this.badge.hidden = this.unread === 0;
    this.badge.textContent = String(this.unread);
    this.launcher.setAttribute('aria-label', this.unread ? this.s.launcherUnread(this.unread) : this.s.launcher);
  }

  private renderTitle(): void {
    const council = this.cfg.council || this.session?.inbox.council;
    this.title.textContent = council ? this.s.title(council) : this.s.launcher;
  }

  // ---- the session and the socket ----------------------------------------------------------------------

  private ensureSession(): Promise<boolean> {
    this.starting ??= this.startSession().finally(() => (this.starting = null));
    return this.starting;
  }

  private async startSession(): Promise<boolean> {
    const result = await startSession(this.cfg.origin, this.cfg.inbox, this.token, this.cfg.lang);
    if (!result.ok) {
      if (result.status === 404) console.warn(`Contact Hub: the web chat inbox "${this.cfg.inbox}" is not known to ${this.cfg.origin}`);
      this.showView('unavailable');
      return false;
    }
    const session = result.value;
    if (this.visitor && this.visitor.id !== session.visitor.id) this.forgetConversation();
    this.session = session;
    this.token = session.visitorToken;
    save('localStorage', this.key(), session.visitorToken);
    this.visitor = session.visitor;
    this.setAvailability(session);
    this.expectedWait = session.expectedWaitSeconds;
    this.renderTitle();
    this.connect();
    this.showView(session.visitor.prechatDone ? 'chat' : 'prechat');
    return true;
  }

  private connect(): void {
    this.connection?.close();
    this.connected = false;
    const c = new Connection(this.cfg.origin, () => this.token ?? '', {
      onConnect: (first) => {
        this.connected = true;
        this.renewals = 0;
        this.renderStatus();
        if (!first) void this.resync();
      },
      onDisconnect: () => {
        this.connected = false;
        this.renderStatus();
      },
      onUnauthorized: () => void this.renew(),
    });
    c.on('hello', (hello) => this.onHello(hello));
    c.on('message', (m) => this.onMessage(m));
    c.on('agent:typing', (t) => this.showAgentTyping(t.typing, t.agentName ?? this.agent?.name ?? null));
    c.on('agent:joined', (a) => {
      this.agent = { name: a.name };
      this.renderStatus();
    });
    c.on('read', (r) => this.store.markReadUpTo(r.upTo).forEach((e) => this.renderEntry(e)));
    c.on('queue', (q) => {
      this.queuePosition = q.position;
      this.expectedWait = q.expectedWaitSeconds;
      this.renderStatus();
    });
    c.on('status', (st) => {
      this.setAvailability(st);
      this.renderStatus();
      this.renderNotice();
    });
    c.on('conversation', (conv) => {
      this.conversation = conv;
      this.renderStatus();
    });
    this.connection = c;
  }

  /** The token was refused (expired or no longer valid): a new session, at most twice in a row. */
  private async renew(): Promise<void> {
    this.connection?.close();
    this.connection = null;
    this.session = null;
    if (++this.renewals > 2) return this.showView('unavailable');
    await this.ensureSession();
  }

  private onHello(hello: Hello): void {
    this.visitor = hello.visitor;
    this.conversation = hello.conversation;
    this.agent = hello.agent;
    this.setAvailability(hello);
    this.queuePosition = hello.queuePosition;
    this.expectedWait = hello.expectedWaitSeconds;
    this.cursor = hello.cursor;
    this.merge(hello.messages, false);
    // Another tab may have answered the pre-chat questions meanwhile: never ask them again.
    if (this.view === 'prechat' && hello.visitor.prechatDone) this.showView('chat');
    this.renderStatus();
    this.renderNotice();
    this.retryUnconfirmed();
    this.markSeen();
  }

  /** After a reconnect: what happened meanwhile, from the last cursor; then the messages that had not gone. */
  private async resync(): Promise<void> {
    if (!this.connection) return;
    const ack = await this.connection.command('sync', { since: this.cursor });
    if (ack.ok) {
      this.cursor = ack.cursor;
      this.merge(ack.messages, true);
    }
    this.retryUnconfirmed();
  }

  private onMessage(m: WebchatMessage): void {
    this.merge([m], true);
  }

  private merge(messages: WebchatMessage[], live: boolean): void {
    let fresh = 0;
    for (const m of messages) {
      const { entry, added } = this.store.upsert(m);
      this.renderEntry(entry);
      if (m.direction === 'agent') {
        if (added) fresh++;
        if (m.authorName && !this.agent) this.agent = { name: m.authorName };
        this.showAgentTyping(false, null);
      }
    }
    if (live && fresh && (!this.isOpen() || document.hidden)) {
      this.unread += fresh;
      this.updateLauncher();
    } else if (!live && !this.isOpen()) {
      this.unread = this.unseenCount();
      this.updateLauncher();
    }
    this.markSeen();
  }

  /** Agent messages after the last one this browser reported as seen (kept across reloads). */
  private unseenCount(): number {
    const agentMessages = this.store.entries.filter((e) => e.message.direction === 'agent');
    const at = agentMessages.findIndex((e) => e.message.id === this.seenSent);
    return this.seenSent && at < 0 ? 0 : agentMessages.length - (at + 1);
  }

  /** Read state: tells the hub the resident has seen the latest agent message, when they can actually see it. */
  private markSeen(): void {
    if (!this.isOpen() || document.hidden || this.view !== 'chat') return;
    const last = this.store.lastFromAgent();
    if (!last || last.id === this.seenSent) return;
    this.seenSent = last.id;
    save('localStorage', this.key('seen'), last.id);
    this.connection?.signal('seen', { messageId: last.id });
  }

  private forgetConversation(): void {
    this.store.clear();
    this.nodes.clear();
    this.conversation = null;
    this.agent = null;
    this.queuePosition = null;
  }

  // ---- views -------------------------------------------------------------------------------------------

  private showView(view: View): void {
    const hadFocus = this.wantFocus || (this.isOpen() && this.root.activeElement !== null && this.root.activeElement !== this.launcher);
    this.view = view;
    this.chat = null;
    if (view === 'loading') replace(this.body, h('p', { class: 'pad', role: 'status' }, this.s.connecting));
    if (view === 'unavailable') this.renderUnavailable();
    if (view === 'prechat') this.renderPrechat();
    if (view === 'chat') this.renderChat();
    if (view === 'ended') this.renderEnded();
    if (hadFocus && this.isOpen()) {
      this.wantFocus = view === 'loading';
      this.focusView();
    }
  }

  /** Focus into the panel: the first thing to fill in, or the heading where there is nothing to fill in. */
  private focusView(): void {
    const target =
      this.view === 'prechat'
        ? this.body.querySelector<HTMLElement>('input')
        : this.view === 'chat'
          ? this.chat?.text
          : this.view === 'ended' || this.view === 'unavailable'
            ? this.body.querySelector<HTMLElement>('[tabindex="-1"]')
            : this.title;
    (target ?? this.title).focus();
  }

  private renderUnavailable(): void {
    replace(
      this.body,
      h(
        'div',
        { class: 'pad' },
        h('p', { tabindex: '-1' }, this.s.unavailable),
        h('button', { type: 'button', class: 'button', onClick: () => void this.retryStart() }, this.s.tryAgain),
      ),
    );
  }

  private async retryStart(): Promise<void> {
    this.wantFocus = true;
    this.renewals = 0;
    this.showView('loading');
    await this.ensureSession();
  }

  /** Keeps what the hub says about opening (its `message` and `openingHours` sentences are English: not kept). */
  private setAvailability(a: Availability): void {
    this.officeOpen = a.open;
    const { open, reason, hours, closedOnBankHolidays, timeZone, nextOpen } = a;
    // An older hub sends no hours with `status`: the last ones known still hold.
    this.availability = hours ? { open, reason, hours, closedOnBankHolidays, timeZone, nextOpen } : { ...this.availability, open, reason, nextOpen };
  }

  /** The notice shown while no one can chat: why, when it opens again, the hours, and how the answer will come. */
  private closedNotice(prechat: boolean): Child {
    if (this.officeOpen || !this.session) return null;
    const reply = prechat ? this.s.replyHereOrEmail : this.visitor?.email ? this.s.replyHereAndEmail : this.s.replyHere;
    const { title, next, hours } = closedWording(this.s, this.cfg.lang, this.availability, this.session.openingHours, new Date());
    return h(
      'div',
      { class: 'notice' },
      h('strong', null, title),
      next ? h('p', null, next) : null,
      hours ? h('p', null, this.s.openingHours(hours)) : null,
      h('p', null, reply),
    );
  }

  private renderNotice(): void {
    if (this.chat) replace(this.chat.notice, this.closedNotice(false));
  }

  private renderPrechat(): void {
    const s = this.s;
    const services = this.session?.services ?? [];
    const max = this.session?.limits.maxTextLength ?? 2000;
    const summary = h('div', { class: 'summary', tabindex: '-1', hidden: true }, h('h3', null, s.errorSummary), h('ul'));
    const fields: Record<string, { input: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement; wrap: HTMLElement; error: HTMLElement }> = {};
    const field = (id: string, label: string, input: HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement, optional: boolean, hint?: string) => {
      const error = h('p', { class: 'error', id: `${id}-error` });
      input.id = id;
      input.setAttribute('aria-describedby', [hint ? `${id}-hint` : '', `${id}-error`].filter(Boolean).join(' '));
      const wrap = h(
        'div',
        { class: 'field' },
        h('label', { class: 'label', for: id }, label, optional ? ` ${s.optional}` : ''),
        hint ? h('p', { class: 'hint', id: `${id}-hint` }, hint) : null,
        error,
        input,
      );
      fields[id] = { input, wrap, error };
      return wrap;
    };
    const name = h('input', { class: 'input', type: 'text', name: 'name', autocomplete: 'name', spellcheck: 'false', value: this.visitor?.name ?? '' });
    const email = h('input', { class: 'input', type: 'email', name: 'email', autocomplete: 'email', spellcheck: 'false', value: this.visitor?.email ?? '' });
    const phone = h('input', { class: 'input', type: 'tel', name: 'phone', autocomplete: 'tel', value: this.visitor?.phone ?? '' });
    const service = h(
      'select',
      { class: 'select', name: 'service' },
      h('option', { value: '' }, s.serviceNone),
      services.map((sv) => h('option', { value: sv.id }, sv.name)),
    );
    const message = h('textarea', { class: 'textarea', name: 'message', rows: '3', value: stored('sessionStorage', this.key('draft')) ?? '' });
    message.addEventListener('input', () => save('sessionStorage', this.key('draft'), message.value));
    const submit = h('button', { type: 'submit', class: 'button' }, s.start);

    const showErrors = (errors: Array<[string, string]>) => {
      for (const f of Object.values(fields)) {
        f.wrap.classList.remove('error-field');
        f.error.textContent = '';
        f.input.removeAttribute('aria-invalid');
      }
      const list = summary.querySelector('ul')!;
      replace(
        list,
        errors.map(([id, text]) =>
          h('li', null, h('a', { href: `#${id}`, onClick: (e: Event) => (e.preventDefault(), fields[id]?.input.focus()) }, text)),
        ),
      );
      for (const [id, text] of errors) {
        const f = fields[id];
        if (!f) continue;
        f.wrap.classList.add('error-field');
        f.error.textContent = text;
        f.input.setAttribute('aria-invalid', 'true');
      }
      summary.hidden = errors.length === 0;
      if (errors.length) summary.focus();
    };

    const onSubmit = async (e: Event) => {
      e.preventDefault();
      const answers = { name: name.value.trim(), email: email.value.trim(), phone: phone.value.trim(), serviceId: service.value, text: message.value.trim() };
      const errors: Array<[string, string]> = [];
      if (!answers.name) errors.push(['name', s.errName]);
      else if (answers.name.length > 100) errors.push(['name', s.errNameLong]);
      if (answers.email && !EMAIL.test(answers.email)) errors.push(['email', s.errEmail]);
      if (answers.phone && (!PHONE.test(answers.phone) || answers.phone.replace(/\D/g, '').length < 7)) errors.push(['phone', s.errPhone]);
      if (!answers.text) errors.push(['prechat-message', s.errMessageEmpty]);
      else if (message.value.length > max) errors.push(['prechat-message', s.errMessageLong(max, message.value.length)]);
      showErrors(errors);
      if (errors.length) return;
      submit.disabled = true;
      const ack = await this.command('prechat', {
        name: answers.name,
        ...(answers.email ? { email: answers.email } : {}),
        ...(answers.phone ? { phone: answers.phone } : {}),
        ...(answers.serviceId ? { serviceId: answers.serviceId } : {}),
      });
      submit.disabled = false;
      if (!ack.ok) return showErrors([[prechatFieldOf(ack.error), this.errorText(ack.error)]]);
      this.visitor = ack.visitor;
      save('sessionStorage', this.key('draft'), null);
      this.wantFocus = true;
      this.showView('chat');
      void this.send(answers.text, []);
    };

    replace(
      this.body,
      h(
        'form',
        { class: 'pad', novalidate: true, onSubmit: (e: Event) => void onSubmit(e) },
        summary,
        h('p', null, s.prechatIntro),
        s.welshWelcome ? h('p', { lang: 'cy' }, s.welshWelcome) : null,
        this.closedNotice(true),
        field('name', s.name, name, false),
        field('email', s.email, email, true, s.emailHint),
        field('phone', s.phone, phone, true),
        services.length ? field('service', s.service, service, true) : null,
        field('prechat-message', s.message, message, false),
        submit,
      ),
    );
  }

  private renderChat(): void {
    const s = this.s;
    const limits = this.session?.limits;
    const notice = h('div', null, this.closedNotice(false));
    const status = h('p', { class: 'status', role: 'status' });
    const log = h('div', { class: 'log', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': s.conversation, tabindex: '0' });
    const typing = h('p', { class: 'typing', role: 'status' });
    const error = h('p', { class: 'error', id: 'message-error', role: 'alert' });
    const text = h('textarea', { class: 'textarea', id: 'message', name: 'message', rows: '2', 'aria-describedby': 'message-error', value: stored('sessionStorage', this.key('draft')) ?? '' });
    const field = h('div', { class: 'field' }, h('label', { class: 'label', for: 'message' }, s.message), error, text);
    const files = h('ul', { class: 'pending-files' });
    const fileInput = h('input', { type: 'file', hidden: true, tabindex: '-1', accept: limits?.attachmentTypes.join(',') ?? '' });
    const attachHint = limits ? s.attachHint(typeList(limits.attachmentTypes, s.or), fileSize(limits.maxAttachmentBytes)) : '';
    const endBox = h('div', { class: 'end-box', hidden: true });

    text.addEventListener('input', () => {
      save('sessionStorage', this.key('draft'), text.value);
      if (text.value) this.typing.keystroke();
      else this.typing.stop();
      if (error.textContent && text.value.length <= (limits?.maxTextLength ?? Infinity)) this.setComposerError('');
    });
    text.addEventListener('keydown', (e) => {
      // Enter sends, Shift+Enter starts a new line; never while an input method is composing a character.
      if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.sendFromComposer();
      }
    });
    fileInput.addEventListener('change', () => {
      for (const file of fileInput.files ?? []) void this.attach(file);
      fileInput.value = '';
    });

    replace(
      this.body,
      notice,
      status,
      log,
      typing,
      h(
        'form',
        { class: 'composer', novalidate: true, onSubmit: (e: Event) => (e.preventDefault(), this.sendFromComposer()) },
        field,
        files,
        h(
          'div',
          { class: 'actions' },
          h('button', { type: 'submit', class: 'button' }, s.send),
          h(
            'button',
            { type: 'button', class: 'button button-secondary', 'aria-describedby': 'attach-hint', onClick: () => fileInput.click() },
            s.attach,
          ),
          fileInput,
        ),
        attachHint ? h('p', { class: 'hint', id: 'attach-hint' }, attachHint) : null,
      ),
      h('div', { class: 'end' }, h('button', { type: 'button', class: 'link', onClick: () => this.askToEnd() }, s.endChat)),
      endBox,
    );
    this.chat = { notice, status, log, typing, text, field, error, files, fileInput, endBox };
    this.nodes.clear();
    this.store.entries.forEach((e) => this.renderEntry(e));
    this.renderFiles();
    this.renderStatus();
    log.scrollTop = log.scrollHeight;
    this.markSeen();
  }

  private renderEnded(): void {
    const email = this.lastTranscriptTo;
    replace(
      this.body,
      h(
        'div',
        { class: 'pad' },
        h('p', { tabindex: '-1' }, this.s.ended(this.cfg.council || this.session?.inbox.council || '')),
        email ? h('p', null, this.s.endedTranscript(email)) : null,
        h('button', { type: 'button', class: 'button', onClick: () => ((this.wantFocus = true), this.showView('chat')) }, this.s.newChat),
      ),
    );
  }

  // ---- the conversation --------------------------------------------------------------------------------

  private renderStatus(): void {
    this.subtitle.textContent = this.conversation?.reference ? this.s.reference(this.conversation.reference) : '';
    if (!this.chat) return;
    let text = '';
    if (!this.connected) text = this.connection ? this.s.reconnecting : this.s.connecting;
    else if (this.agent) text = this.s.chattingWith(this.agent.name);
    else if (this.conversation && this.officeOpen) {
      const parts = [this.queuePosition ? this.s.queuePosition(this.queuePosition) : this.s.waiting];
      if (this.expectedWait !== null) parts.push(this.expectedWait < 60 ? this.s.waitUnderMinute : this.s.waitMinutes(Math.ceil(this.expectedWait / 60)));
      text = parts.join(' ');
    }
    // Unchanged text is not written again, so screen readers do not hear it twice.
    if (this.chat.status.textContent !== text) this.chat.status.textContent = text;
  }

  private showAgentTyping(typing: boolean, name: string | null): void {
    window.clearTimeout(this.agentTypingTimer);
    if (!this.chat) return;
    const text = typing ? this.s.agentTyping(name || this.s.launcher) : '';
    if (this.chat.typing.textContent !== text) this.chat.typing.textContent = text;
    if (typing) this.agentTypingTimer = window.setTimeout(() => this.showAgentTyping(false, null), AGENT_TYPING_MS);
  }

  /** A bubble: created once (a new node in the log is what a screen reader announces), then only its state changes. */
  private renderEntry(entry: Entry): void {
    if (!this.chat) return;
    const m = entry.message;
    let node = this.nodes.get(entry);
    if (!node) {
      const time = new Date(m.createdAt);
      const author = m.direction === 'resident' ? this.s.you : m.direction === 'agent' ? m.authorName || this.agent?.name || this.s.launcher : this.cfg.council || this.session?.inbox.council || '';
      node = h(
        'div',
        { class: `msg msg-${m.direction}` },
        h(
          'p',
          { class: 'meta' },
          h('span', { class: 'author' }, author),
          h('span', { class: 'vh' }, ', '),
          ' ',
          Number.isNaN(time.getTime()) ? null : h('time', { datetime: m.createdAt }, time.toLocaleTimeString(this.s.locale, { hour: '2-digit', minute: '2-digit' })),
        ),
        h(
          'div',
          { class: 'bubble' },
          m.text ? h('p', null, m.text) : null,
          m.attachments.length
            ? h(
                'ul',
                { class: 'files' },
                m.attachments.map((a) =>
                  h('li', null, h('a', { href: attachmentHref(this.cfg.origin, this.token ?? '', a), target: '_blank', rel: 'noopener' }, `${a.filename} (${fileSize(a.size)})`)),
                ),
              )
            : null,
        ),
        m.direction === 'resident'
          ? h('p', { class: 'state' }, h('span', { class: 'state-text' }), ' ', h('button', { type: 'button', class: 'link', hidden: true, onClick: () => void this.deliver(entry) }, this.s.retry))
          : null,
      );
      this.nodes.set(entry, node);
      const log = this.chat.log;
      const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
      const next = this.store.entries.slice(this.store.entries.indexOf(entry) + 1).find((e) => this.nodes.has(e));
      log.insertBefore(node, next ? this.nodes.get(next)! : null);
      if (nearBottom || m.direction === 'resident') log.scrollTop = log.scrollHeight;
    }
    const state = node.querySelector('.state');
    if (!state) return;
    const label = entry.state === 'sending' ? this.s.sending : entry.state === 'failed' ? `${this.s.notSent}: ${entry.error ?? ''}` : m.readByAgent ? this.s.read : this.s.sent;
    state.querySelector('.state-text')!.textContent = label;
    state.classList.toggle('state-failed', entry.state === 'failed');
    (state.querySelector('button') as HTMLButtonElement).hidden = entry.state !== 'failed';
  }

  private sendFromComposer(): void {
    const chat = this.chat;
    if (!chat) return;
    const max = this.session?.limits.maxTextLength ?? 2000;
    const uploading = this.files.find((f) => f.state === 'uploading');
    if (uploading) return this.setComposerError(this.s.uploading(uploading.file.name));
    const attachments = this.files.flatMap((f) => (f.attachment ? [f.attachment] : []));
    const raw = chat.text.value;
    const text = raw.trim();
    if (!text && !attachments.length) return this.setComposerError(this.s.errMessageEmpty);
    if (raw.length > max) return this.setComposerError(this.s.errMessageLong(max, raw.length));
    this.setComposerError('');
    chat.text.value = '';
    save('sessionStorage', this.key('draft'), null);
    this.files = [];
    this.renderFiles();
    this.typing.stop();
    void this.send(text, attachments);
  }

  private async send(text: string, attachments: Attachment[]): Promise<void> {
    const entry = this.store.addPending(newClientId(), text, attachments, new Date());
    this.renderEntry(entry);
    await this.deliver(entry);
  }

  /** Sends (again) one unconfirmed message under its clientId: the hub answers a repeat with the first result. */
  private async deliver(entry: Entry): Promise<void> {
    if (this.inFlight.has(entry) || entry.state === 'sent') return;
    this.inFlight.add(entry);
    entry.state = 'sending';
    this.renderEntry(entry);
    const m = entry.message;
    const ack = await this.command('message:send', { text: m.text, clientId: m.clientId!, ...(entry.attachmentIds?.length ? { attachmentIds: entry.attachmentIds } : {}) });
    this.inFlight.delete(entry);
    if (ack.ok) this.store.upsert(ack.message);
    else this.store.fail(entry, this.errorText(ack.error));
    this.renderEntry(entry);
  }

  private retryUnconfirmed(): void {
    for (const entry of this.store.unconfirmed()) void this.deliver(entry);
  }

  private setComposerError(text: string): void {
    if (!this.chat) return;
    this.chat.error.textContent = text;
    this.chat.field.classList.toggle('error-field', !!text);
    if (text) this.chat.text.setAttribute('aria-invalid', 'true');
    else this.chat.text.removeAttribute('aria-invalid');
  }

  // ---- attachments -------------------------------------------------------------------------------------

  /** Checks the size here (a clear answer before a long upload); the hub decides the type from the bytes. */
  private async attach(file: File): Promise<void> {
    const limits = this.session?.limits;
    if (!limits || !this.token) return;
    if (file.size > limits.maxAttachmentBytes) return this.setComposerError(this.s.errFileTooBig(file.name, fileSize(limits.maxAttachmentBytes)));
    if (this.files.length >= MAX_FILES) return this.setComposerError(this.s.errTooManyFiles(MAX_FILES));
    this.setComposerError('');
    const pending: PendingFile = { file, state: 'uploading' };
    this.files.push(pending);
    this.renderFiles();
    const result = await uploadAttachment(this.cfg.origin, this.token, file);
    if (!this.files.includes(pending)) return;
    if (result.ok) {
      pending.state = 'done';
      pending.attachment = result.value;
    } else {
      this.files = this.files.filter((f) => f !== pending);
      this.setComposerError(this.uploadError(file.name, result.status, result.code));
    }
    this.renderFiles();
  }

  /** The widget's own sentence for a refused upload, from the error code (or the status of an older hub). */
  private uploadError(file: string, status: number, code: string | undefined): string {
    const limits = this.session!.limits;
    if (code === 'PayloadTooLarge' || status === 413) return this.s.errFileTooBig(file, fileSize(limits.maxAttachmentBytes));
    if (code === 'UnsupportedType' || status === 415) return this.s.errFileType(file, typeList(limits.attachmentTypes, this.s.or));
    if (code === 'RateLimited' || status === 429) return this.s.errors.RateLimited;
    return this.s.errFileFailed(file);
  }

  private renderFiles(): void {
    if (!this.chat) return;
    replace(
      this.chat.files,
      this.files.map((f) =>
        h(
          'li',
          null,
          h('span', null, f.state === 'uploading' ? this.s.uploading(f.file.name) : this.s.attached(f.file.name)),
          h(
            'button',
            {
              type: 'button',
              class: 'link',
              onClick: () => {
                this.files = this.files.filter((x) => x !== f);
                this.renderFiles();
                this.chat?.text.focus();
              },
            },
            this.s.removeFile(f.file.name),
          ),
        ),
      ),
    );
  }

  // ---- ending ------------------------------------------------------------------------------------------

  private lastTranscriptTo: string | null = null;

  private askToEnd(): void {
    const box = this.chat?.endBox;
    if (!box) return;
    const email = this.visitor?.email;
    const check = email ? h('input', { type: 'checkbox', id: 'transcript', 'aria-describedby': 'transcript-hint' }) : null;
    const error = h('p', { class: 'error', role: 'alert' });
    const heading = h('h3', { tabindex: '-1' }, this.s.endQuestion);
    replace(
      box,
      heading,
      error,
      check && email
        ? h(
            'div',
            { class: 'check' },
            check,
            h('label', { for: 'transcript' }, this.s.transcript, h('span', { class: 'hint', id: 'transcript-hint' }, this.s.transcriptTo(email))),
          )
        : null,
      h(
        'div',
        { class: 'actions' },
        h(
          'button',
          {
            type: 'button',
            class: 'button',
            onClick: async () => {
              const transcript = !!check?.checked;
              const ack = await this.command('end', { transcript });
              if (!ack.ok) return void (error.textContent = this.errorText(ack.error));
              this.lastTranscriptTo = (ack.transcript ?? transcript) && email ? email : null;
              this.typing.stop();
              this.forgetConversation();
              this.wantFocus = true;
              this.showView('ended');
            },
          },
          this.s.endConfirm,
        ),
        h(
          'button',
          {
            type: 'button',
            class: 'button button-secondary',
            onClick: () => {
              box.hidden = true;
              this.chat?.text.focus();
            },
          },
          this.s.carryOn,
        ),
      ),
    );
    box.hidden = false;
    box.scrollIntoView({ block: 'nearest' });
    heading.focus();
  }

  // ---- helpers -----------------------------------------------------------------------------------------

  private command<K extends keyof Commands>(event: K, payload: Commands[K][0]): Promise<Ack<Commands[K][1]>> {
    if (!this.connection) return Promise.resolve({ ok: false, error: { code: 'Unavailable', message: '' } });
    return this.connection.command(event, payload);
  }

  /** The widget's sentence for the error's code (and field), in the resident's language: wording.ts. */
  private errorText(error: HubFailure): string {
    return errorSentence(this.s, this.cfg.lang, error, this.session?.limits.maxTextLength ?? 2000);
  }

  private key(part?: string): string {
    return `contact-hub:${this.cfg.inbox}${part ? `:${part}` : ''}`;
  }
}

/** The pre-chat form's field a hub Validation error is about, or the name field. */
function prechatFieldOf(error: HubFailure): string {
  const field = errorField(error);
  const ids: Record<string, string> = { name: 'name', email: 'email', phone: 'phone', serviceId: 'service', text: 'prechat-message' };
  return (field && ids[field]) || 'name';
}

function icon(path: string): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('focusable', 'false');
  const p = document.createElementNS(SVG, 'path');
  p.setAttribute('d', path);
  svg.append(p);
  return svg;
}

/**
 * Constructable stylesheets are not inline styles, so a host page whose CSP forbids 'unsafe-inline' styles still
 * shows the widget; older browsers get a <style> element (which such a CSP would refuse).
 */
function adoptStyles(root: ShadowRoot, css: string): void {
  if ('adoptedStyleSheets' in root && typeof CSSStyleSheet !== 'undefined' && 'replaceSync' in CSSStyleSheet.prototype) {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
  } else {
    root.append(h('style', null, css));
  }
}

/** Storage can be switched off or full (private browsing): the widget then simply forgets. */
type Area = 'localStorage' | 'sessionStorage';

function stored(area: Area, key: string): string | null {
  try {
    return window[area].getItem(key);
  } catch {
    return null;
  }
}

function save(area: Area, key: string, value: string | null): void {
  try {
    if (value === null) window[area].removeItem(key);
    else window[area].setItem(key, value);
  } catch {
    /* see stored() */
  }
}

function newClientId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = [...b].map((x) => x.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
