import { CharacterCount } from 'govuk-frontend';
import { h, replace } from './dom';
import { channelLabel, waitingFor } from './format';
import { button, characterCount, errorMessage, select, warning } from './govuk';
import { CannedReply, CaseSummary, Channel, ComposeOptions } from './protocol';
import { Store } from './state';
import { TemplatePicker, windowText } from './template-picker';
import { FILE_CHANNELS, ReplyFiles, UploadResult } from './reply-files';
import { smsSegments } from '../../src/channels/twilio/sms-segments';

/** The hub refuses longer texts (REST and socket alike). */
export const TEXT_MAX = 4000;
/**
 * Meta's page channels take a free-form reply only within 24 hours of the resident's last message (a caution: Meta
 * decides). WhatsApp is not here: the hub says exactly what it allows (compose options, the template picker).
 */
const WINDOW_CHANNELS: Partial<Record<Channel, number>> = { messenger: 24, instagram: 24 };
/** setTimeout's longest delay; a window closing later than this is looked at again when the case is reopened. */
const TIMER_MAX_MS = 2_147_483_647;

export type ReplyFix = 'claim' | 'take-over';

export interface ReplyProblem {
  text: string;
  /** The reply cannot be sent at all (rather than a caution). */
  blocking: boolean;
  fix?: ReplyFix;
}

/** Why a reply cannot go out on this case right now, or what to be careful of; null when nothing. */
export function replyProblem(c: CaseSummary, store: Store, connected: boolean): ReplyProblem | null {
  if (!connected) return { text: 'The console is not connected to the hub, so replies cannot be sent until the connection is back.', blocking: true };
  if (c.status === 'closed') return { text: 'This case is closed, so no more replies can be sent on it. If the resident writes again, a new case starts.', blocking: true };
  if (!c.assignee) return { text: 'Only the case owner can reply. Claim this case to answer the resident.', blocking: true, fix: 'claim' };
  if (!store.isMine(c)) {
    const owner = c.assignee.name ?? 'Another agent';
    return store.canTakeOver
      ? { text: `${owner} owns this case, so only they can reply. You can take it over.`, blocking: true, fix: 'take-over' }
      : { text: `${owner} owns this case, so only they can reply.`, blocking: true };
  }
  if (c.optedOut) {
    return { text: 'The resident has opted out of messages on this channel (they sent STOP), so replies cannot be sent. They can send START to opt back in.', blocking: true };
  }
  const windowHours = WINDOW_CHANNELS[c.channel];
  if (windowHours && c.lastInboundAt) {
    const age = store.now() - Date.parse(c.lastInboundAt);
    if (age > windowHours * 3_600_000) {
      return {
        text: `${channelLabel(c.channel)} only accepts a reply within ${windowHours} hours of the resident’s last message, and theirs was ${waitingFor(age)} ago. The reply may be refused: consider another channel.`,
        blocking: false,
      };
    }
  }
  return null;
}

export interface ComposerActions {
  /** `attachmentIds`: files uploaded with attach(), sent with the reply. */
  reply(text: string, attachmentIds: string[]): Promise<string | null>;
  /** Uploads a file for the reply (email and web chat cases). */
  attach(file: File): Promise<UploadResult>;
  note(text: string): Promise<string | null>;
  fix(fix: ReplyFix): void;
  canned(cannedId: string): Promise<string | null>;
  typing(typing: boolean): void;
  /** Sends one of the case's approved templates; the hub's refusal in words, or null. */
  sendTemplate(templateId: string): Promise<string | null>;
  /** Asks the hub again what may be sent (the window closed, or the resident wrote). */
  refreshCompose(): void;
}

/**
 * Reply and note forms. The reply box says before anyone types when the case cannot take a reply now (closed,
 * someone else's, not connected) and offers the fix; a canned reply is inserted at the caret for editing.
 */
export class Composer {
  readonly root: HTMLElement;
  private readonly warningArea: HTMLElement;
  private readonly cannedArea: HTMLElement;
  private replyError: string | null = null;
  private noteError: string | null = null;
  private typingTimer: number | undefined;
  private typing = false;
  private problem: ReplyProblem | null = null;
  private readonly picker: TemplatePicker;
  private readonly windowHint: HTMLElement;
  private composeTimer: number | undefined;
  private readonly files: ReplyFiles | null;

  constructor(
    private readonly actions: ComposerActions,
    residentName: string,
    private readonly channel: Channel,
  ) {
    this.warningArea = h('div', { id: 'reply-warning', class: 'hub-reply-warning' });
    this.cannedArea = h('div', { class: 'hub-canned', id: 'canned-area' });
    this.windowHint = h('p', { class: 'govuk-hint hub-reply-window', id: 'reply-window', hidden: true });
    this.files = FILE_CHANNELS.includes(channel) ? new ReplyFiles((file) => this.actions.attach(file)) : null;
    this.picker = new TemplatePicker(channel, (id) => this.actions.sendTemplate(id), () => (this.problem?.blocking ? this.problem.text : null));
    this.root = h(
      'div',
      { class: 'hub-composer' },
      h(
        'section',
        { 'aria-labelledby': 'reply-heading' },
        h('h3', { class: 'govuk-heading-m', id: 'reply-heading' }, `Reply to ${residentName} by ${channelLabel(channel)}`),
        this.warningArea,
        this.picker.root,
        h(
          'form',
          { id: 'reply-form', novalidate: true, onsubmit: (e: Event) => void this.submitReply(e) },
          this.windowHint,
          this.cannedArea,
          this.replyGroup(),
          this.files?.root,
          h('div', { class: 'govuk-button-group' }, button('Send reply', { id: 'reply-send', type: 'submit' })),
        ),
      ),
      h(
        'section',
        { 'aria-labelledby': 'note-heading', class: 'hub-note' },
        h('h3', { class: 'govuk-heading-s', id: 'note-heading' }, 'Internal note'),
        h('form', { id: 'note-form', novalidate: true, onsubmit: (e: Event) => void this.submitNote(e) }, this.noteGroup(), button('Add note', { id: 'note-add', type: 'submit', kind: 'secondary' })),
      ),
    );
  }

  /** GOV.UK's character count needs the page's support class and the element in place. */
  mounted(): void {
    for (const el of this.root.querySelectorAll('[data-module="govuk-character-count"]')) new CharacterCount(el);
  }

  private replyGroup(): HTMLElement {
    const group = characterCount({
      id: 'reply-text',
      label: 'Your reply',
      hint: 'The resident sees this. Press Ctrl and Enter to send.',
      maxLength: TEXT_MAX,
      rows: 5,
      error: this.replyError ?? undefined,
    });
    const textarea = group.querySelector('textarea')!;
    textarea.setAttribute('aria-describedby', `${textarea.getAttribute('aria-describedby')} reply-warning reply-window`);
    textarea.setAttribute('aria-keyshortcuts', 'Control+Enter');
    textarea.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
        e.preventDefault();
        (document.getElementById('reply-form') as HTMLFormElement).requestSubmit();
      }
    });
    textarea.addEventListener('input', () => this.noteTyping());
    textarea.addEventListener('blur', () => this.stopTyping());
    if (this.channel === 'sms') {
      const segments = h('p', { class: 'govuk-hint hub-sms-segments', id: 'reply-segments' }, smsSegmentsText(''));
      textarea.setAttribute('aria-describedby', `${textarea.getAttribute('aria-describedby')} reply-segments`);
      textarea.addEventListener('input', () => replace(segments, smsSegmentsText(textarea.value)));
      group.appendChild(segments);
    }
    return group;
  }

  private noteGroup(): HTMLElement {
    const group = characterCount({
      id: 'note-text',
      label: 'Note for staff',
      hint: 'The resident never sees notes. Mention a colleague with @ and their name to let them know.',
      maxLength: TEXT_MAX,
      rows: 3,
      error: this.noteError ?? undefined,
    });
    // Writing a note is typing on the case too: colleagues viewing it see who is about to add something.
    const textarea = group.querySelector('textarea')!;
    textarea.addEventListener('input', () => this.noteTyping());
    textarea.addEventListener('blur', () => this.stopTyping());
    return group;
  }

  /** Shows what stops or cautions a reply right now, with the button that fixes it. */
  update(problem: ReplyProblem | null): void {
    this.problem = problem;
    const fixLabel: Record<ReplyFix, string> = { claim: 'Claim this case', 'take-over': 'Take over this case' };
    replace(
      this.warningArea,
      problem
        ? h(
            'div',
            { class: 'hub-reply-warning__box' },
            warning(problem.text),
            problem.fix ? button(fixLabel[problem.fix], { id: `fix-${problem.fix}`, kind: 'secondary', small: true, onClick: () => this.actions.fix(problem.fix!) }) : null,
          )
        : null,
    );
  }

  setCanned(replies: CannedReply[] | null): void {
    if (!replies?.length) {
      replace(this.cannedArea);
      return;
    }
    replace(
      this.cannedArea,
      select({
        id: 'canned-select',
        label: 'Canned reply',
        options: [{ value: '', text: 'Choose a canned reply' }, ...replies.map((r) => ({ value: r.id, text: r.title }))],
        groupClass: 'hub-canned__select',
      }),
      button('Insert', { id: 'canned-insert', kind: 'secondary', small: true, onClick: () => void this.insertCanned() }),
    );
  }

  focusReply(): void {
    if (this.picker.shown) this.picker.focus();
    else document.getElementById('reply-text')?.focus();
  }

  /**
   * What the hub allows now. Templates only: the typed reply form is hidden (its draft kept) and the picker shown;
   * otherwise the form, with when the window closes. Asks again when it closes, so the page never offers what the
   * hub would refuse.
   */
  setCompose(options: ComposeOptions | null): void {
    const form = this.root.querySelector<HTMLFormElement>('#reply-form')!;
    const focusWasIn = form.contains(document.activeElement) ? 'form' : this.picker.root.contains(document.activeElement) ? 'picker' : null;
    const templatesOnly = !!options && !options.freeText;
    if (templatesOnly) this.picker.show(options);
    else this.picker.hide();
    form.hidden = templatesOnly;
    const hint = [windowText(this.channel, options), options?.freeText && options.reason ? options.reason : ''].filter(Boolean).join(' ');
    replace(this.windowHint, hint);
    this.windowHint.hidden = !hint;
    if (focusWasIn === 'form' && templatesOnly) this.picker.focus();
    if (focusWasIn === 'picker' && !templatesOnly) document.getElementById('reply-text')?.focus();
    this.scheduleRefresh(options);
  }

  private scheduleRefresh(options: ComposeOptions | null): void {
    window.clearTimeout(this.composeTimer);
    const closes = options?.freeText && options.windowClosesAt ? Date.parse(options.windowClosesAt) - Date.now() : NaN;
    if (!Number.isFinite(closes) || closes > TIMER_MAX_MS) return;
    this.composeTimer = window.setTimeout(() => {
      if (this.root.isConnected) this.actions.refreshCompose();
    }, Math.max(0, closes) + 1000);
  }

  private async insertCanned(): Promise<void> {
    const choice = (document.getElementById('canned-select') as HTMLSelectElement | null)?.value;
    if (!choice) {
      this.showReplyError('Choose a canned reply to insert');
      return;
    }
    const text = await this.actions.canned(choice);
    if (text === null) return;
    const textarea = document.getElementById('reply-text') as HTMLTextAreaElement;
    const start = textarea.selectionStart ?? textarea.value.length;
    const end = textarea.selectionEnd ?? start;
    textarea.value = `${textarea.value.slice(0, start)}${text}${textarea.value.slice(end)}`;
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
    textarea.focus();
    textarea.setSelectionRange(start + text.length, start + text.length);
  }

  private async submitReply(e: Event): Promise<void> {
    e.preventDefault();
    const textarea = document.getElementById('reply-text') as HTMLTextAreaElement;
    const text = textarea.value.trim();
    if (this.problem?.blocking) return this.showReplyError(this.problem.text);
    if (!text) return this.showReplyError('Enter a reply');
    if (text.length > TEXT_MAX) return this.showReplyError(`Reply must be ${TEXT_MAX} characters or fewer`);
    const waiting = this.files?.pending();
    if (waiting) return this.showReplyError(waiting);
    const send = document.getElementById('reply-send') as HTMLButtonElement;
    send.disabled = true;
    this.stopTyping();
    const error = await this.actions.reply(text, this.files?.ids() ?? []);
    send.disabled = false;
    if (error) return this.showReplyError(error);
    this.showReplyError(null);
    this.files?.clear();
    textarea.value = '';
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
    textarea.focus();
  }

  private async submitNote(e: Event): Promise<void> {
    e.preventDefault();
    const textarea = document.getElementById('note-text') as HTMLTextAreaElement;
    const text = textarea.value.trim();
    if (!text) return this.showNoteError('Enter a note');
    if (text.length > TEXT_MAX) return this.showNoteError(`Note must be ${TEXT_MAX} characters or fewer`);
    const error = await this.actions.note(text);
    if (error) return this.showNoteError(error);
    this.showNoteError(null);
    textarea.value = '';
    textarea.dispatchEvent(new Event('input', { bubbles: true }));
  }

  /** An inline GOV.UK error on the field; the field keeps focus and reads the message out (it describes the field). */
  private showReplyError(message: string | null): void {
    this.replyError = message;
    showFieldError('reply-text', message);
  }

  private showNoteError(message: string | null): void {
    this.noteError = message;
    showFieldError('note-text', message);
  }

  private noteTyping(): void {
    if (!this.typing) {
      this.typing = true;
      this.actions.typing(true);
    }
    window.clearTimeout(this.typingTimer);
    this.typingTimer = window.setTimeout(() => this.stopTyping(), 4000);
  }

  stopTyping(): void {
    window.clearTimeout(this.typingTimer);
    if (!this.typing) return;
    this.typing = false;
    this.actions.typing(false);
  }
}

function showFieldError(fieldId: string, message: string | null): void {
  const field = document.getElementById(fieldId) as HTMLTextAreaElement | null;
  if (!field) return;
  const group = field.closest('.govuk-form-group')!;
  const errorId = `${fieldId}-error`;
  document.getElementById(errorId)?.remove();
  group.classList.toggle('govuk-form-group--error', !!message);
  field.classList.toggle('govuk-textarea--error', !!message);
  const describedBy = (field.getAttribute('aria-describedby') ?? '').split(' ').filter((id) => id && id !== errorId);
  if (message) {
    const error = errorMessage(errorId, message);
    error.setAttribute('role', 'alert');
    field.before(error);
    describedBy.unshift(errorId);
  }
  field.setAttribute('aria-describedby', describedBy.join(' '));
}

/** "48 characters, 1 text message (GSM-7)": what an SMS reply will cost, and which characters make it UCS-2. */
export function smsSegmentsText(text: string): string {
  const s = smsSegments(text);
  const parts = `${s.characters} character${s.characters === 1 ? '' : 's'}, ${s.segments} text message${s.segments === 1 ? '' : 's'} (${s.encoding})`;
  return s.nonGsm.length ? `${parts}: ${s.nonGsm.slice(0, 5).join(' ')} use${s.nonGsm.length === 1 ? 's' : ''} the shorter UCS-2 format` : parts;
}
