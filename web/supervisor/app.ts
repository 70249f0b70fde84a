import { AgentBar } from '../console/agent-bar';
import { Announcer } from '../console/announce';
import * as consoleApi from '../console/api';
import { Connection } from '../console/connection';
import { focusTarget, h, replace } from '../console/dom';
import { button } from '../console/govuk';
import { Agent, Presence } from '../console/protocol';
import { changePresence, pageError, StaffPage, StaffSession } from '../console/staff-session';
import { agentsSection } from './agents';
import * as api from './api';
import { alertSentence, Breaches } from './breaches';
import { Charts, pointsOf } from './charts';
import { departmentSection, overTarget } from './departments';
import { clockSeconds, duration, nextMidnight } from './format';
import { patch } from './patch';
import { LiveSnapshot, SlaAlert } from './protocol';
import { Tiles } from './tiles';

/** The charts follow the day without redrawing on every push. */
const HISTORY_REFRESH_MS = 60_000;
/** A push that does not cover all the caller's departments only says "something changed": fetch, at most this often. */
const REFETCH_MIN_MS = 2000;

/**
 * The supervisor dashboard: sign-in (supervisors and admins), then the live snapshot from REST, kept current by
 * `metrics:live` pushes on the console's socket, today's history as charts, and SLA alerts. Auto-refresh can be
 * paused (WCAG 2.2.2): pushes are then ignored, and resuming fetches everything afresh. The status region speaks
 * only of news (an alert, a department crossing its answer target, pause and resume), never of routine pushes.
 */
export class SupervisorApp implements StaffPage {
  private readonly bar: AgentBar;
  private readonly session: StaffSession;
  private agent: Agent | null = null;
  private conn: Connection | null = null;
  private tiles: Tiles | null = null;
  private charts: Charts | null = null;
  private announcer: Announcer | null = null;
  private readonly breaches = new Breaches();
  private snapshot: LiveSnapshot | null = null;
  private paused = false;
  private bucket: '15m' | 'hour' = '15m';
  private historyAt = 0;
  private refetchTimer: number | undefined;
  private lastFetch = 0;
  /** Departments whose longest wait is past target, as last shown (null before the first snapshot). */
  private over: Set<string> | null = null;

  constructor(
    private readonly appEl: HTMLElement,
    barEl: HTMLElement,
    private readonly councilName: string,
  ) {
    this.bar = new AgentBar(barEl, { setPresence: (p) => void this.setPresence(p), signOut: () => void this.session.signOut() });
    this.session = new StaffSession(appEl, this.bar, councilName, this, 'Sign in to the supervisor dashboard');
  }

  start(): Promise<void> {
    return this.session.resume();
  }

  // ── signing in and out ─────────────────────────────────────────────────────────────────────────────────

  signedIn(agent: Agent): void {
    this.agent = agent;
    if (agent.role === 'agent') return this.refuse(agent);
    this.bar.render(agent);
    this.mount();
    this.connect();
    void this.refreshAll();
  }

  /** An agent signed in here: say plainly whose page this is and where theirs is. */
  private refuse(agent: Agent): void {
    this.teardown();
    this.bar.render(null);
    document.title = `Supervisors only – Contact Hub – ${this.councilName}`;
    replace(
      this.appEl,
      h(
        'div',
        { class: 'govuk-grid-row' },
        h(
          'div',
          { class: 'govuk-grid-column-two-thirds-from-desktop' },
          h('h1', { class: 'govuk-heading-l', id: 'refused-heading' }, 'This page is for supervisors only'),
          h('p', { class: 'govuk-body' }, `You are signed in as ${agent.name}, an agent. The supervisor dashboard is for supervisors and admins.`),
          h('p', { class: 'govuk-body' }, 'Your cases are in the ', h('a', { class: 'govuk-link', href: '/console', id: 'to-console' }, 'agent console'), '. If you need this page, ask your supervisor.'),
          button('Sign out', { id: 'refused-sign-out', kind: 'secondary', onClick: () => void this.session.signOut() }),
        ),
      ),
    );
    focusTarget(document.getElementById('refused-heading'));
  }

  teardown(): void {
    this.conn?.close();
    this.conn = null;
    this.charts?.destroy();
    this.charts = null;
    this.tiles = null;
    this.announcer = null;
    this.snapshot = null;
    this.over = null;
    this.paused = false;
    this.historyAt = 0;
    window.clearTimeout(this.refetchTimer);
    this.breaches.reset([]);
  }

  // ── the page ───────────────────────────────────────────────────────────────────────────────────────────

  private mount(): void {
    this.tiles = new Tiles();
    this.charts = new Charts(this.bucket, { setBucket: (b) => void this.setBucket(b) });
    const status = h('p', { class: 'govuk-body hub-live-status', id: 'supervisor-status', role: 'status' });
    this.announcer = new Announcer(status);
    replace(
      this.appEl,
      h('div', { id: 'page-alert', class: 'hub-alert' }),
      h('h1', { class: 'govuk-heading-l', id: 'dashboard-heading', tabindex: '-1' }, 'Supervisor dashboard'),
      h(
        'div',
        { class: 'hub-refresh' },
        h('p', { class: 'govuk-body hub-refresh__status', id: 'refresh-status' }, 'Loading the figures…'),
        button('Pause auto-refresh', { id: 'pause-refresh', kind: 'secondary', small: true, describedBy: 'refresh-status', onClick: () => void this.togglePause() }),
      ),
      status,
      this.tiles.root,
      h('div', { id: 'breaches-area' }, this.breaches.render((id) => this.departmentName(id))),
      h('div', { id: 'departments-area' }),
      this.charts.root,
      h('div', { id: 'agents-area' }),
    );
    document.title = `Supervisor dashboard – Contact Hub – ${this.councilName}`;
    focusTarget(document.getElementById('dashboard-heading'));
  }

  private connect(): void {
    const conn = new Connection(consoleApi.token, {
      onConnect: () => this.bar.setConnected(true),
      onDisconnect: () => this.bar.setConnected(false),
      onUnauthorized: () => this.session.ended(),
    });
    this.conn = conn;
    // After a reconnection the figures come afresh, so nothing missed while away stays wrong on screen.
    let hadHello = false;
    conn.on('hello', (hello) => {
      this.agent = hello.agent;
      this.bar.render(hello.agent);
      this.bar.setConnected(true);
      if (hadHello && !this.paused) void this.refreshAll();
      hadHello = true;
    });
    conn.on('metrics:live', (payload) => this.onPush('snapshot' in payload ? payload.snapshot : payload));
    conn.on('sla:alert', (payload) => this.onAlert('alert' in payload ? payload.alert : payload));
    conn.on('presence:changed', ({ agent }) => {
      if (!this.agent || agent.id !== this.agent.id) return;
      this.agent = { ...this.agent, presence: agent.presence, capacity: agent.capacity };
      this.bar.render(this.agent);
    });
  }

  /** The snapshot, the alerts and the history, from REST. */
  private async refreshAll(): Promise<void> {
    this.lastFetch = Date.now();
    const [live, alerts] = await Promise.all([api.live(), api.breaches()]);
    if (live.status === 403 && this.agent) return this.refuse(this.agent);
    if (live.status !== 200 || !live.body) return pageError(`The figures could not be loaded: ${live.error ?? 'no answer'}. They will load when the hub is reachable again.`);
    pageError(null);
    if (alerts.status === 200 && Array.isArray(alerts.body?.alerts)) this.breaches.reset(alerts.body.alerts);
    this.apply(live.body);
    this.renderBreaches();
    await this.loadHistory();
  }

  private onPush(snapshot: LiveSnapshot): void {
    if (this.paused || !this.tiles) return;
    if (this.coversMine(snapshot)) return this.apply(snapshot);
    // A push for only some of the caller's departments: take it as "something changed" and ask for all of them.
    window.clearTimeout(this.refetchTimer);
    this.refetchTimer = window.setTimeout(() => void this.refetch(), Math.max(0, this.lastFetch + REFETCH_MIN_MS - Date.now()));
  }

  private async refetch(): Promise<void> {
    if (this.paused || !this.tiles) return;
    this.lastFetch = Date.now();
    const live = await api.live();
    if (live.status === 200 && live.body && !this.paused) this.apply(live.body);
  }

  private coversMine(snapshot: LiveSnapshot): boolean {
    const mine = this.snapshot?.departments.map((d) => d.departmentId).sort();
    const theirs = snapshot.departments.map((d) => d.departmentId).sort();
    return !mine || (mine.length === theirs.length && mine.every((id, i) => id === theirs[i]));
  }

  private apply(snapshot: LiveSnapshot): void {
    if (!this.tiles) return;
    this.snapshot = snapshot;
    const overNow = snapshot.departments.filter(overTarget);
    this.tiles.update(snapshot.totals, overNow.map((d) => d.name));
    patch(document.getElementById('departments-area')!, departmentSection(snapshot.departments));
    patch(document.getElementById('agents-area')!, agentsSection(snapshot.agents, snapshot.departments));
    this.announceTargets(snapshot, new Set(overNow.map((d) => d.departmentId)));
    this.showRefreshStatus();
    if (Date.now() - this.historyAt >= HISTORY_REFRESH_MS) void this.loadHistory();
  }

  /** Says when a department's oldest waiting case passes its answer target, and when it is back within it. */
  private announceTargets(snapshot: LiveSnapshot, overNow: Set<string>): void {
    const before = this.over;
    this.over = overNow;
    if (!before) return;
    for (const d of snapshot.departments) {
      if (overNow.has(d.departmentId) && !before.has(d.departmentId)) this.announcer?.say(`${d.name}: a case has waited longer than the answer target of ${duration(d.answerTargetSeconds)}.`);
      if (!overNow.has(d.departmentId) && before.has(d.departmentId)) this.announcer?.say(`${d.name}: back within the answer target.`);
    }
  }

  private async loadHistory(): Promise<void> {
    const snapshot = this.snapshot;
    if (!snapshot || !this.charts) return;
    this.historyAt = Date.now();
    const from = snapshot.workingDayStart;
    const to = nextMidnight(from);
    this.charts.setCsv(from, to);
    const res = await api.history(from, to, this.bucket);
    if (res.status !== 200 || !Array.isArray(res.body?.rows)) return pageError(`Today’s history could not be loaded: ${res.error ?? 'no answer'}.`);
    this.charts?.update(pointsOf(res.body, Date.parse(snapshot.at)));
  }

  private async setBucket(bucket: '15m' | 'hour'): Promise<void> {
    this.bucket = bucket;
    await this.loadHistory();
  }

  private onAlert(alert: SlaAlert): void {
    if (this.paused || !alert?.caseId) return;
    if (!this.breaches.put(alert)) return;
    this.renderBreaches();
    this.announcer?.say(alertSentence(alert));
  }

  private renderBreaches(): void {
    const area = document.getElementById('breaches-area');
    if (area) patch(area, this.breaches.render((id) => this.departmentName(id)));
  }

  private departmentName(id: string): string {
    return this.snapshot?.departments.find((d) => d.departmentId === id)?.name ?? 'Another department';
  }

  // ── pause ──────────────────────────────────────────────────────────────────────────────────────────────

  private async togglePause(): Promise<void> {
    this.paused = !this.paused;
    const control = document.getElementById('pause-refresh');
    if (control) control.textContent = this.paused ? 'Resume auto-refresh' : 'Pause auto-refresh';
    window.clearTimeout(this.refetchTimer);
    this.showRefreshStatus();
    if (this.paused) {
      this.announcer?.say('Auto-refresh paused. The figures stay as they are until you resume.');
      return;
    }
    await this.refreshAll();
    this.announcer?.say('Auto-refresh resumed. The figures are up to date.');
  }

  private showRefreshStatus(): void {
    const el = document.getElementById('refresh-status');
    if (!el || !this.snapshot) return;
    const at = clockSeconds(this.snapshot.at);
    el.textContent = this.paused ? `Paused. Figures as at ${at}; they will not change until you resume.` : `Updating live. Figures as at ${at}.`;
    el.dataset.paused = String(this.paused);
  }

  private async setPresence(presence: Presence): Promise<void> {
    const agent = await changePresence(this.conn, presence, this.bar, this.agent);
    if (!agent) return;
    this.agent = agent;
    this.announcer?.say(`Your status is now ${presence}.`);
  }
}

