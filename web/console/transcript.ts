import { h, hidden, replace } from './dom';
import { channelLabel, DELIVERY_COLOUR, deliveryLabel, fullTime, shortTime, statusLabel } from './format';
import { button, tag } from './govuk';
import { CaseSummary, MessageView } from './protocol';
import { Store } from './state';

export interface TranscriptOptions {
  store: Store;
  /** The case on screen; messages of the resident's other cases are labelled with theirs. */
  current: () => CaseSummary;
  otherCases: () => Map<string, CaseSummary>;
  onRetry(messageId: string, button: HTMLButtonElement): void;
}

/**
 * The conversation across the resident's cases and channels, oldest first. It is a log region (role="log", polite):
 * a screen reader hears each message added after the view opened, and focus never moves. Built fresh with its
 * history when a case opens, so the history itself is not read out as news.
 * Message text goes in as text nodes only: whatever a resident sends is shown, never interpreted.
 */
export class Transcript {
  private rootEl: HTMLElement;
  private list!: HTMLOListElement;
  private lastCaseId: string | null = null;
  private lastTime = 0;

  constructor(private readonly opts: TranscriptOptions) {
    this.rootEl = this.frame();
    this.list = this.rootEl.querySelector('ol')!;
  }

  get root(): HTMLElement {
    return this.rootEl;
  }

  /** A new log region with an empty list. */
  private frame(): HTMLElement {
    const c = this.opts.current();
    return h(
      'div',
      {
        class: 'hub-transcript',
        id: 'transcript',
        role: 'log',
        'aria-live': 'polite',
        'aria-relevant': 'additions',
        'aria-label': `Conversation with ${c.resident?.name || 'the resident'}`,
        // Scrollable, so it must be reachable by keyboard too (WCAG 2.1.1).
        tabindex: '0',
      },
      h('ol', { class: 'hub-transcript__list' }),
    );
  }

  /** Replaces the whole history in one go (used when the case opens and when its history has loaded). */
  reset(messages: MessageView[]): HTMLElement {
    const fresh = this.frame();
    this.list = fresh.querySelector('ol')!;
    this.lastCaseId = null;
    this.lastTime = 0;
    const sorted = [...messages].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
    for (const m of sorted) this.appendMessage(m);
    if (!sorted.length) this.list.append(h('li', { class: 'hub-transcript__empty' }, 'No messages yet.'));
    this.rootEl.replaceWith(fresh);
    this.rootEl = fresh;
    this.scrollToEnd(true);
    return fresh;
  }

  /** A message that arrived live: appended (announced by the log region) or, if older, put in its place. */
  add(m: MessageView): void {
    this.list.querySelector('.hub-transcript__empty')?.remove();
    const nearEnd = this.root.scrollHeight - this.root.scrollTop - this.root.clientHeight < 80;
    const time = Date.parse(m.createdAt);
    if (time >= this.lastTime) this.appendMessage(m);
    else this.insertInOrder(m);
    this.scrollToEnd(nearEnd);
  }

  /** Delivery status or reason changed: only that message's status line is redrawn. */
  updateDelivery(messageId: string): void {
    const m = this.opts.store.messages.get(messageId);
    const line = document.getElementById(`delivery-${messageId}`);
    if (!m || !line) return;
    const focusedRetry = document.activeElement?.id === `retry-${messageId}`;
    line.replaceWith(this.delivery(m));
    if (focusedRetry) document.getElementById(`msg-${messageId}`)?.focus();
  }

  private appendMessage(m: MessageView): void {
    if (m.caseId !== this.lastCaseId) {
      this.list.append(this.divider(m.caseId));
      this.lastCaseId = m.caseId;
    }
    this.list.append(this.message(m));
    this.lastTime = Math.max(this.lastTime, Date.parse(m.createdAt));
  }

  private insertInOrder(m: MessageView): void {
    const time = Date.parse(m.createdAt);
    const after = [...this.list.querySelectorAll<HTMLElement>('li[data-time]')].find((li) => Number(li.dataset.time) > time);
    this.list.insertBefore(this.message(m), after ?? null);
  }

  private divider(caseId: string): HTMLElement {
    const current = this.opts.current();
    const c = caseId === current.id ? current : this.opts.otherCases().get(caseId);
    const text = !c
      ? 'Another case'
      : c.id === current.id
        ? `This case, ${c.reference} (${channelLabel(c.channel)})`
        : `${Date.parse(c.createdAt) < Date.parse(current.createdAt) ? 'Earlier' : 'Later'} case ${c.reference} (${channelLabel(c.channel)}, ${statusLabel(c.status).toLowerCase()})`;
    return h('li', { class: `hub-transcript__divider${c?.id === current.id ? ' hub-transcript__divider--current' : ''}` }, h('span', null, text));
  }

  private message(m: MessageView): HTMLElement {
    const me = this.opts.store.agent;
    const resident = this.opts.current().resident?.name || 'Resident';
    const author = m.author?.id && me && m.author.id === me.id ? 'You' : (m.author?.name ?? 'Staff');
    const who: Record<MessageView['direction'], string> = {
      inbound: resident,
      outbound: author,
      note: `Internal note by ${author === 'You' ? 'you' : author}`,
      system: 'Update',
    };
    const said: Record<MessageView['direction'], string> = {
      inbound: `${resident} wrote`,
      outbound: `${author === 'You' ? 'You' : author} replied`,
      note: 'Note for staff only',
      system: 'Case update',
    };
    return h(
      'li',
      { class: `hub-msg hub-msg--${m.direction}`, id: `msg-${m.id}`, 'data-time': String(Date.parse(m.createdAt)), tabindex: '-1' },
      h(
        'p',
        { class: 'hub-msg__meta' },
        hidden(`${said[m.direction]}: `),
        h('span', { class: 'hub-msg__who', 'aria-hidden': 'true' }, who[m.direction]),
        m.direction === 'inbound' || m.direction === 'outbound' ? h('span', { class: 'hub-msg__via' }, ` by ${channelLabel(m.channel)}`) : null,
        ' ',
        h('time', { datetime: m.createdAt, title: fullTime(m.createdAt), class: 'hub-msg__time' }, shortTime(m.createdAt)),
      ),
      h('p', { class: 'hub-msg__text' }, m.text),
      m.attachments?.length ? this.attachments(m) : null,
      m.direction === 'outbound' ? this.delivery(m) : null,
    );
  }

  private attachments(m: MessageView): HTMLElement {
    return h(
      'ul',
      { class: 'govuk-list hub-msg__attachments', 'aria-label': 'Attachments' },
      (m.attachments ?? []).map((a) => {
        const name = a.filename || 'Attachment';
        const size = typeof a.size === 'number' ? ` (${Math.max(1, Math.round(a.size / 1024))} KB)` : '';
        // The provider's https URL, or the hub's own copy (opened with the staff session cookie).
        const safeUrl = a.url && (/^https?:\/\//i.test(a.url) || /^\/api\/v1\/attachments\/[0-9a-f-]{36}$/i.test(a.url)) ? a.url : null;
        return h('li', null, safeUrl ? h('a', { class: 'govuk-link', href: safeUrl, rel: 'noopener noreferrer', target: '_blank' }, `${name}${size} (opens in new tab)`) : `${name}${size}`);
      }),
    );
  }

  private delivery(m: MessageView): HTMLElement {
    const status = m.deliveryStatus ?? 'queued';
    const retry =
      status === 'failed'
        ? button(['Retry', hidden(' sending this reply')], {
            id: `retry-${m.id}`,
            kind: 'secondary',
            small: true,
            onClick: (e) => this.opts.onRetry(m.id, e.currentTarget as HTMLButtonElement),
          })
        : null;
    return h(
      'div',
      { class: 'hub-msg__delivery', id: `delivery-${m.id}`, 'data-status': status },
      hidden('Delivery: '),
      tag(deliveryLabel(status), DELIVERY_COLOUR[status] ?? 'grey', 'hub-tag'),
      status === 'failed' && m.deliveryReason ? h('span', { class: 'hub-msg__reason' }, ` ${m.deliveryReason}`) : null,
      retry,
    );
  }

  private scrollToEnd(force: boolean): void {
    if (force) this.root.scrollTop = this.root.scrollHeight;
  }

  /** Empties the log (the view is closing). */
  clear(): void {
    replace(this.list);
  }
}
