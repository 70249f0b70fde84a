import { h, hidden, keepFocus, replace } from './dom';
import { PRESENCE_LABEL } from './format';
import { select, tag } from './govuk';
import { Agent, Presence } from './protocol';

export interface AgentBarActions {
  setPresence(presence: Presence): void;
  signOut(): void;
}

/** Who is signed in, whether the console is connected, the presence switch and sign-out, in the service bar. */
export class AgentBar {
  private connected: boolean | null = null;

  constructor(
    private readonly root: HTMLElement,
    private readonly actions: AgentBarActions,
  ) {}

  render(agent: Agent | null): void {
    if (!agent) {
      replace(this.root);
      return;
    }
    keepFocus(() =>
      replace(
        this.root,
        h(
          'div',
          { class: 'hub-agent-bar__inner' },
          h('p', { class: 'govuk-body-s hub-agent-bar__who' }, hidden('Signed in as '), h('strong', null, agent.name), ` (${agent.role})`),
          h('p', { class: 'govuk-body-s hub-agent-bar__connection', id: 'connection-status', role: 'status' }, this.connectionTag()),
          select({
            id: 'presence',
            label: 'Your status',
            options: (Object.keys(PRESENCE_LABEL) as Presence[]).map((p) => ({ value: p, text: PRESENCE_LABEL[p] })),
            value: agent.presence,
            onChange: (v) => this.actions.setPresence(v as Presence),
            groupClass: 'hub-agent-bar__presence',
            labelClass: 'govuk-label--s',
          }),
          h('button', { type: 'button', class: 'govuk-link hub-link-button', id: 'sign-out', onclick: () => this.actions.signOut() }, 'Sign out'),
        ),
      ),
    );
  }

  setConnected(connected: boolean): void {
    if (this.connected === connected) return;
    this.connected = connected;
    const status = document.getElementById('connection-status');
    if (status) replace(status, this.connectionTag());
  }

  private connectionTag(): Node {
    if (this.connected === null) return tag('Connecting', 'grey', 'hub-tag');
    return this.connected ? tag('Connected', 'green', 'hub-tag') : tag('Reconnecting', 'orange', 'hub-tag');
  }
}
