import { SkipLink } from 'govuk-frontend';
import { AgentBar } from './agent-bar';
import * as api from './api';
import { Connection } from './connection';
import { replace } from './dom';
import { errorSummary } from './govuk';
import { Agent, Presence } from './protocol';
import { renderSignIn } from './sign-in';

/** What a staff page (the agent console, the supervisor dashboard) does when someone signs in or out. */
export interface StaffPage {
  /** Builds the page for the person who signed in, or whose session cookie was still good. */
  signedIn(agent: Agent): void;
  /** Drops what belonged to the session that ended (socket, views, state). */
  teardown(): void;
}

/**
 * Signing in and out of a staff page, the same on every one: the session cookie first, else the GOV.UK sign-in form;
 * the token it returns kept in memory for REST and the socket.
 */
export class StaffSession {
  constructor(
    private readonly appEl: HTMLElement,
    private readonly bar: AgentBar,
    private readonly councilName: string,
    private readonly page: StaffPage,
    private readonly heading?: string,
  ) {}

  async resume(): Promise<void> {
    const me = await api.me();
    if (me.status === 200 && me.body) this.signedIn(undefined, me.body);
    else this.showSignIn();
  }

  showSignIn(notice?: string): void {
    this.page.teardown();
    this.bar.render(null);
    renderSignIn(this.appEl, this.councilName, (token, agent) => this.signedIn(token, agent), notice, this.heading);
  }

  async signOut(): Promise<void> {
    await api.logout();
    api.setToken(undefined);
    this.showSignIn('You have signed out.');
  }

  /** The hub refused the socket's session (expired, or the account deactivated). */
  ended(): void {
    this.showSignIn('Your session has ended. Sign in again to continue.');
  }

  private signedIn(token: string | undefined, agent: Agent): void {
    api.setToken(token);
    this.page.signedIn(agent);
  }
}

/**
 * Asks the hub to change the signed-in person's presence. Resolves with the hub's answer, shown in the bar; on a
 * refusal, the page's error summary says why, the bar shows `current` again, and it resolves with null.
 */
export async function changePresence(conn: Connection | null, presence: Presence, bar: AgentBar, current: Agent | null): Promise<Agent | null> {
  if (!conn) return null;
  const ack = await conn.command('agent:presence', { presence });
  if (!ack.ok) {
    pageError(`Your status could not be changed: ${ack.error.message}`);
    bar.render(current);
    return null;
  }
  pageError(null);
  bar.render(ack.agent);
  return ack.agent;
}

/** The page-level GOV.UK error summary (#page-alert), or none. */
export function pageError(message: string | null): void {
  const area = document.getElementById('page-alert');
  if (area) replace(area, message ? errorSummary([{ text: message }]) : null);
}

/** Starts a staff page from its server-rendered shell (#app, #agent-bar, the council's name in the header). */
export function bootStaffPage(start: (app: HTMLElement, bar: HTMLElement, council: string) => Promise<void>): void {
  // What GOV.UK's page template does with an inline script, done here because the page's CSP forbids inline scripts.
  document.body.classList.add('js-enabled', 'govuk-frontend-supported');
  for (const link of document.querySelectorAll('[data-module="govuk-skip-link"]')) new SkipLink(link);
  const app = document.getElementById('app')!;
  const bar = document.getElementById('agent-bar')!;
  const council = document.querySelector('.hub-header__council')?.textContent?.trim() || 'your council';
  void start(app, bar, council);
}
