import { AgentBar } from './agent-bar';
import { desktopNotify } from './announce';
import * as api from './api';
import { caseActions } from './case-actions';
import { CaseActions, CaseView } from './case-view';
import { Connection } from './connection';
import { focusTarget, h, replace } from './dom';
import { channelLabel } from './format';
import { errorSummary } from './govuk';
import { Agent, CaseSummary, Hello, MessageView, Named, Presence } from './protocol';
import { QueueView } from './queue';
import { SettingsPanel } from './settings-panel';
import { loadSettings } from './settings';
import { changePresence, pageError, StaffPage, StaffSession } from './staff-session';
import { Store } from './state';

/** Earlier cases whose messages join the transcript (newest first). */
const HISTORY_CASES_MAX = 10;
const CLOCK_SKEW_MIN_MS = 2000;
const CASE_ROUTE = /^#\/cases\/([0-9a-f-]{36})$/i;

/**
 * The console: sign-in, then one socket to /console feeding the store, the queue and the open case. After a
 * dropped connection it asks the hub for everything since its last cursor (`sync`) and re-opens the case, so
 * nothing pushed while it was away is lost.
 */
export class ConsoleApp implements StaffPage {
  private readonly store = new Store();
  private readonly settings = loadSettings();
  private readonly bar: AgentBar;
  private readonly session: StaffSession;
  private conn: Connection | null = null;
  private queue: QueueView | null = null;
  private caseView: CaseView | null = null;
  private settingsPanel: SettingsPanel | null = null;
  /** Cases already announced as new (a push, a notification and a re-sync may all mention one). */
  private readonly announced = new Set<string>();
  private hadHello = false;
  /** The latest `case:viewers` of the cases this console is opening or has open. */
  private readonly viewersOf = new Map<string, Named[]>();

  constructor(
    private readonly appEl: HTMLElement,
    barEl: HTMLElement,
    private readonly councilName: string,
  ) {
    this.bar = new AgentBar(barEl, { setPresence: (p) => void this.setPresence(p), signOut: () => void this.session.signOut() });
    this.session = new StaffSession(appEl, this.bar, councilName, this);
  }

  async start(): Promise<void> {
    window.addEventListener('hashchange', () => this.route());
    document.addEventListener('keydown', (e) => this.shortcut(e));
    window.setInterval(() => {
      this.queue?.tick();
      this.caseView?.tick();
    }, 1000);
    await this.session.resume();
  }

  // ── signing in and out ─────────────────────────────────────────────────────────────────────────────────

  signedIn(agent: Agent): void {
    this.store.agent = agent;
    this.bar.render(agent);
    this.settingsPanel = new SettingsPanel(this.settings);
    replace(
      this.appEl,
      h('div', { id: 'page-alert', class: 'hub-alert' }),
      this.settingsPanel.root,
      h(
        'div',
        { class: 'hub-layout' },
        h('div', { class: 'hub-layout__queue', id: 'queue-area' }, h('h1', { class: 'govuk-heading-l', id: 'queue-heading', tabindex: '-1' }, 'Queue'), h('p', { class: 'govuk-body', role: 'status' }, 'Connecting to the hub…')),
        h('div', { class: 'hub-layout__case', id: 'case-area' }, this.noCase()),
      ),
    );
    document.title = `Queue – Contact Hub – ${this.councilName}`;
    focusTarget(document.getElementById('queue-heading'));
    void this.loadDepartments();
    this.connect();
  }

  teardown(): void {
    this.conn?.close();
    this.conn = null;
    this.caseView?.stopTyping();
    this.queue = null;
    this.caseView = null;
    this.hadHello = false;
    this.announced.clear();
    this.store.clear();
  }

  private async loadDepartments(): Promise<void> {
    const res = await api.departments();
    if (res.status !== 200 || !Array.isArray(res.body)) return;
    for (const d of res.body) this.store.departments.set(d.id, d);
    this.queue?.render();
    this.caseView?.render();
  }

  // ── the connection ─────────────────────────────────────────────────────────────────────────────────────

  private connect(): void {
    const conn = new Connection(api.token, {
      onConnect: () => this.bar.setConnected(true),
      onDisconnect: () => {
        this.bar.setConnected(false);
        this.caseView?.setConnected(false);
      },
      onUnauthorized: () => this.session.ended(),
    });
    this.conn = conn;
    conn.on('hello', (hello) => void this.onHello(hello));
    conn.on('case:created', ({ case: c, cursor }) => this.onCase(c, cursor, true));
    conn.on('case:updated', ({ case: c, cursor }) => this.onCase(c, cursor, false));
    conn.on('case:assigned', ({ case: c, cursor }) => this.onCase(c, cursor, false));
    conn.on('message:created', ({ message, cursor }) => {
      this.store.seeCursor(cursor);
      this.onMessage(message);
    });
    conn.on('message:status', ({ messageId, status, reason, cursor }) => {
      this.store.seeCursor(cursor);
      if (this.store.setDelivery(messageId, status, reason)) this.caseView?.transcript.updateDelivery(messageId);
    });
    conn.on('presence:changed', ({ agent }) => {
      if (agent.id !== this.store.agent?.id || !this.store.agent) return;
      this.store.agent = { ...this.store.agent, presence: agent.presence, capacity: agent.capacity };
      this.bar.render(this.store.agent);
    });
    conn.on('case:viewers', ({ caseId, viewers }) => {
      // The hub says who views a case as soon as this console joins its room, which can be before case:open's answer
      // has built the view: kept, and applied when it has.
      this.viewersOf.set(caseId, viewers);
      if (this.caseView?.caseId === caseId) this.caseView.setViewers(viewers);
    });
    // An admin changed this agent's role or departments: the hub reconnects the socket; the next hello starts afresh
    // (queue, departments and rights as they are now). A deactivated account's reconnection is refused: sign-in.
    conn.on('session:changed', ({ reason }) => {
      this.hadHello = false;
      this.store.cases.clear();
      // The open case is opened again after the new hello (its room joined again), or refused if out of reach now.
      this.caseView?.stopTyping();
      this.caseView = null;
      pageError(`${reason}. The queue now shows the cases you may work on.`);
    });
    conn.on('case:typing', ({ caseId, agent, typing }) => {
      if (this.caseView?.caseId === caseId) this.caseView.setTyping(agent, typing);
    });
    conn.on('notification', (n) => {
      if (n.kind === 'new-case' && n.caseId && this.announced.has(n.caseId)) return;
      if (n.caseId) this.announced.add(n.caseId);
      this.queue?.announcer.say(n.text);
      if (this.settings.desktopNotifications) desktopNotify(n.reference ? `Contact Hub: ${n.reference}` : 'Contact Hub', n.text, () => n.caseId && this.goToCase(n.caseId));
    });
  }

  private async onHello(hello: Hello): Promise<void> {
    const conn = this.conn!;
    this.store.agent = hello.agent;
    this.store.myDepartments = hello.departments ?? [];
    for (const d of this.store.myDepartments) if (!this.store.departments.has(d.id)) this.store.departments.set(d.id, d);
    // Correct only a real difference between the clocks, not the few hundred milliseconds hello took to arrive.
    const offset = Date.parse(hello.serverTime) - Date.now();
    this.store.clockOffsetMs = Number.isFinite(offset) && Math.abs(offset) >= CLOCK_SKEW_MIN_MS ? offset : 0;
    this.bar.render(hello.agent);
    this.bar.setConnected(true);
    this.caseView?.setConnected(true);

    if (!this.hadHello) {
      this.hadHello = true;
      this.store.seeCursor(hello.cursor);
      this.mountQueue();
      await this.reloadQueue();
      this.route();
      return;
    }
    // A reconnect: what changed meanwhile comes from the database, then the open case's room is joined again.
    const since = this.store.cursor ?? hello.cursor;
    const ack = await conn.command('sync', { since });
    if (ack.ok) {
      const fresh = ack.cases.filter((c) => !this.store.cases.has(c.id) && c.status === 'new');
      for (const c of ack.cases) if (this.store.putCase(c) && this.caseView?.caseId === c.id) this.caseView.render();
      for (const m of ack.messages) this.onMessage(m);
      this.store.seeCursor(ack.cursor);
      this.queue?.changed();
      if (fresh.length) this.queue?.announcer.say(fresh.length === 1 ? `New case ${fresh[0].reference} arrived while the console was reconnecting.` : `${fresh.length} new cases arrived while the console was reconnecting.`);
      for (const c of fresh) this.announced.add(c.id);
    } else {
      await this.reloadQueue();
    }
    if (this.caseView) await this.openCase(this.caseView.caseId, false, true);
  }

  private mountQueue(): void {
    this.queue = new QueueView(this.store, {
      claimNext: () => void this.claimNext(),
      reload: () => void this.reloadQueue(),
    });
    replace(document.getElementById('queue-area')!, this.queue.root);
  }

  private async reloadQueue(): Promise<void> {
    if (!this.conn || !this.queue) return;
    const ack = await this.conn.command('queue:list', QueueView.query(this.queue.filters));
    if (!ack.ok) return pageError(`The queue could not be loaded: ${ack.error.message}`);
    for (const c of ack.cases) {
      this.store.putCase(c);
      this.announced.add(c.id);
    }
    this.store.seeCursor(ack.cursor);
    this.queue.render();
  }

  private onCase(c: CaseSummary, cursor: string | undefined, created: boolean): void {
    this.store.seeCursor(cursor);
    const before = this.store.cases.get(c.id);
    if (!this.store.putCase(c)) return;
    this.queue?.changed();
    if (this.caseView?.caseId === c.id) this.caseView.render();
    if (this.caseView?.otherCases.has(c.id)) this.caseView.otherCases.set(c.id, c);
    if (created && !this.announced.has(c.id)) {
      this.announced.add(c.id);
      const text = `New case ${c.reference} from ${c.resident?.name || 'a resident'} by ${channelLabel(c.channel)}, ${this.store.departmentName(c.departmentId)}.`;
      this.queue?.announcer.say(text);
      if (this.settings.desktopNotifications) desktopNotify(`New case ${c.reference}`, text, () => this.goToCase(c.id));
    } else if (this.store.isMine(c) && before && before.assignee?.id !== c.assignee?.id && !this.claiming.has(c.id)) {
      this.queue?.announcer.say(`Case ${c.reference} is now yours.`);
    }
  }

  private onMessage(m: MessageView): void {
    const view = this.caseView;
    if (!view || (m.caseId !== view.caseId && !view.otherCases.has(m.caseId))) {
      const c = this.store.cases.get(m.caseId);
      if (m.direction === 'inbound' && c && this.store.isMine(c)) this.queue?.announcer.say(`New message from ${c.resident?.name || 'the resident'} on ${c.reference}.`);
      return;
    }
    if (this.store.putMessage(m)) {
      view.transcript.add(this.store.messages.get(m.id)!);
      if (m.direction === 'inbound' && m.caseId === view.caseId) view.refreshCompose();
    } else view.transcript.updateDelivery(m.id);
  }

  // ── the open case ──────────────────────────────────────────────────────────────────────────────────────

  private route(): void {
    const match = CASE_ROUTE.exec(location.hash);
    if (match) void this.openCase(match[1].toLowerCase(), true);
    else if (this.caseView) this.closeCase();
  }

  private goToCase(caseId: string): void {
    if (location.hash === `#/cases/${caseId}`) void this.openCase(caseId, true);
    else location.hash = `#/cases/${caseId}`;
  }

  private noCase(): HTMLElement {
    return h(
      'div',
      { class: 'hub-case-empty' },
      h('h2', { class: 'govuk-heading-m' }, 'No case open'),
      h('p', { class: 'govuk-body' }, 'Choose a case in the queue, or claim the next one.'),
    );
  }

  private closeCase(): void {
    const view = this.caseView;
    if (!view) return;
    view.stopTyping();
    this.viewersOf.delete(view.caseId);
    void this.conn?.command('case:close-view', { caseId: view.caseId });
    this.caseView = null;
    this.queue?.setCurrent(null);
    replace(document.getElementById('case-area')!, this.noCase());
    focusTarget(document.getElementById(`open-${view.caseId}`) ?? document.getElementById('queue-heading'));
  }

  /** Opens a case (or, after a reconnect, joins its room again and catches up without redrawing it). */
  private async openCase(caseId: string, focus: boolean, rejoin = false): Promise<void> {
    const conn = this.conn;
    const area = document.getElementById('case-area');
    if (!conn || !area || !this.hadHello) return;
    if (this.caseView?.caseId === caseId && !rejoin) {
      if (focus) focusTarget(document.getElementById('case-heading'));
      return;
    }
    if (this.caseView && this.caseView.caseId !== caseId) {
      this.caseView.stopTyping();
      this.viewersOf.delete(this.caseView.caseId);
      void conn.command('case:close-view', { caseId: this.caseView.caseId });
    }
    if (!rejoin) replace(area, h('p', { class: 'govuk-body', role: 'status' }, 'Opening the case…'));
    const ack = await conn.command('case:open', { caseId });
    if (!ack.ok) {
      if (rejoin) return this.caseView?.showError(`The case could not be refreshed: ${ack.error.message}`);
      this.caseView = null;
      replace(area, errorSummary([{ text: `This case cannot be opened: ${ack.error.message}` }]), this.noCase());
      focusTarget(area.querySelector('.govuk-error-summary') as HTMLElement);
      return;
    }
    this.store.putCase(ack.case);
    if (rejoin && this.caseView?.caseId === caseId) {
      for (const m of ack.messages) this.onMessage(m);
      this.caseView.render();
      this.caseView.setCompose(ack.compose ?? null);
      return;
    }
    this.store.messages.clear();
    for (const m of ack.messages) this.store.putMessage(m);
    const view = new CaseView(this.store, ack.case, ack.otherCases ?? [], this.caseActions());
    this.caseView = view;
    view.show([...this.store.messages.values()], area, focus);
    view.setConnected(conn.connected);
    view.setCompose(ack.compose ?? null);
    const viewers = this.viewersOf.get(caseId);
    if (viewers) view.setViewers(viewers);
    this.queue?.setCurrent(caseId);
    void this.loadCanned(view);
    void this.loadHistory(view, ack.messages);
  }

  private async loadCanned(view: CaseView): Promise<void> {
    const ack = await this.conn?.command('canned:list', { departmentId: view.case.departmentId });
    if (ack?.ok && this.caseView === view) view.setCanned(ack.replies);
  }

  /** Messages of the resident's earlier cases that case:open did not bring, from the REST API. */
  private async loadHistory(view: CaseView, present: MessageView[]): Promise<void> {
    const have = new Set(present.map((m) => m.caseId));
    const missing = [...view.otherCases.values()]
      .filter((c) => !have.has(c.id))
      .sort((a, b) => Date.parse(b.createdAt) - Date.parse(a.createdAt))
      .slice(0, HISTORY_CASES_MAX);
    if (!missing.length) return;
    const lists = await Promise.all(missing.map((c) => api.caseMessages(c.id, (id) => this.store.staffNames.get(id) ?? null)));
    if (this.caseView !== view) return;
    for (const list of lists) for (const m of list ?? []) this.store.putMessage(m);
    view.setHistory([...this.store.messages.values()]);
  }

  /** Cases this console is claiming right now (their assignment push is not news to the agent). */
  private readonly claiming = new Set<string>();

  private caseActions(): CaseActions {
    return caseActions({
      store: this.store,
      conn: () => this.conn!,
      view: () => this.caseView,
      queue: () => this.queue,
      onMessage: (m) => this.onMessage(m),
      claiming: this.claiming,
    });
  }

  // ── the agent ──────────────────────────────────────────────────────────────────────────────────────────

  private async claimNext(): Promise<void> {
    if (!this.conn || !this.queue) return;
    const ack = await this.conn.command('case:claim-next', { departmentId: this.queue.filters.departmentId || undefined });
    if (!ack.ok) {
      // "Nothing waiting" is news, not a fault: said in the status region; anything else is an error.
      if (ack.error.code === 'Conflict') this.queue.announcer.say(ack.error.message.replace(/^./, (ch) => ch.toUpperCase()));
      else pageError(ack.error.message);
      return;
    }
    pageError(null);
    this.claiming.add(ack.case.id);
    this.store.putCase(ack.case);
    this.queue.changed();
    // The claimed case may be the one on screen already: its owner changed.
    if (this.caseView?.caseId === ack.case.id) this.caseView.render();
    this.queue.announcer.say(`You now own case ${ack.case.reference}.`);
    this.goToCase(ack.case.id);
    window.setTimeout(() => this.claiming.delete(ack.case.id), 2000);
  }

  private async setPresence(presence: Presence): Promise<void> {
    const agent = await changePresence(this.conn, presence, this.bar, this.store.agent);
    if (!agent) return;
    this.store.agent = agent;
    this.queue?.announcer.say(`Your status is now ${presence}.`);
  }

  /** Single-key shortcuts, never while typing and never with a modifier (so browser and screen-reader keys work). */
  private shortcut(e: KeyboardEvent): void {
    if (!this.settings.shortcuts || !this.store.agent || e.ctrlKey || e.metaKey || e.altKey || e.repeat) return;
    const target = e.target as HTMLElement;
    if (target.closest('input, textarea, select, [contenteditable="true"]')) return;
    switch (e.key) {
      case 'n':
      case 'N':
        void this.claimNext();
        break;
      case 'r':
      case 'R':
        if (!this.caseView) return;
        this.caseView.focusReply();
        break;
      case 'q':
      case 'Q':
        focusTarget(document.getElementById('queue-heading'));
        break;
      case '?':
        this.settingsPanel?.open();
        break;
      default:
        return;
    }
    e.preventDefault();
  }
}
