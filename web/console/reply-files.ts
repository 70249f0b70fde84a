import { h, hidden, replace } from './dom';
import { button, errorMessage } from './govuk';
import { Channel, ReplyFile } from './protocol';

/** The channels whose replies carry files (the hub refuses files on the others). */
export const FILE_CHANNELS: readonly Channel[] = ['email', 'webchat'];
/** The hub's limits: 10 MB a file, 5 files a reply. */
export const FILE_MAX_BYTES = 10 * 1024 * 1024;
export const FILES_MAX = 5;

export type UploadResult = { attachment: ReplyFile } | { error: string };

/**
 * "Attach a file" for a reply: GOV.UK's file upload, each file uploaded as soon as it is chosen (so a refused one is
 * said at once, by name), then listed with a Remove button. The reply sends the ids of the files listed.
 */
export class ReplyFiles {
  readonly root: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly list: HTMLElement;
  private readonly status: HTMLElement;
  private files: ReplyFile[] = [];
  private uploading = 0;

  constructor(private readonly upload: (file: File) => Promise<UploadResult>) {
    this.input = h('input', {
      class: 'govuk-file-upload',
      id: 'reply-file',
      name: 'reply-file',
      type: 'file',
      multiple: true,
      accept: 'image/png,image/jpeg,image/gif,image/webp,application/pdf,.docx,.xlsx,.odt,.ods',
      'aria-describedby': 'reply-file-hint reply-file-status',
      onchange: () => void this.chosen(),
    });
    this.list = h('ul', { class: 'govuk-list hub-reply-files', id: 'reply-files', 'aria-label': 'Attached files' });
    this.status = h('p', { class: 'govuk-body-s hub-reply-files__status', id: 'reply-file-status', role: 'status' });
    this.root = h(
      'div',
      { class: 'govuk-form-group hub-reply-files__group', id: 'reply-file-group' },
      h('label', { class: 'govuk-label', for: 'reply-file' }, 'Attach a file (optional)'),
      h('div', { class: 'govuk-hint', id: 'reply-file-hint' }, `An image, PDF, Word, Excel or OpenDocument file, up to 10MB. Up to ${FILES_MAX} files per reply.`),
      this.input,
      this.status,
      this.list,
    );
    this.list.hidden = true;
  }

  /** The ids the reply sends. */
  ids(): string[] {
    return this.files.map((f) => f.id);
  }

  /** Why the reply should wait (a file still uploading); null when it may go. */
  pending(): string | null {
    return this.uploading ? 'Wait until the file has finished uploading, then send the reply' : null;
  }

  /** After the reply went: the files went with it. */
  clear(): void {
    this.files = [];
    this.render();
    replace(this.status);
  }

  private async chosen(): Promise<void> {
    const chosen = Array.from(this.input.files ?? []);
    this.input.value = '';
    this.showError(null);
    for (const file of chosen) {
      const refused = this.refusal(file);
      if (refused) {
        this.showError(refused);
        continue;
      }
      this.uploading++;
      replace(this.status, `Uploading ${file.name}…`);
      const result = await this.upload(file).finally(() => this.uploading--);
      if ('error' in result) {
        replace(this.status);
        this.showError(result.error);
        continue;
      }
      this.files.push(result.attachment);
      this.render();
      replace(this.status, `${result.attachment.filename} attached`);
    }
  }

  private refusal(file: File): string | null {
    if (this.files.length + this.uploading >= FILES_MAX) return `You can attach up to ${FILES_MAX} files to a reply`;
    if (file.size === 0) return `${file.name} is empty`;
    if (file.size > FILE_MAX_BYTES) return `${file.name} must be smaller than 10MB`;
    return null;
  }

  private remove(file: ReplyFile): void {
    this.files = this.files.filter((f) => f.id !== file.id);
    this.render();
    replace(this.status, `${file.filename} removed`);
    // The button that had focus is gone: the file control is the next thing to act on.
    this.input.focus();
  }

  private render(): void {
    this.list.hidden = this.files.length === 0;
    replace(
      this.list,
      this.files.map((f) =>
        h(
          'li',
          { class: 'hub-reply-files__item' },
          h('span', { class: 'hub-reply-files__name' }, `${f.filename} (${sizeText(f.size)})`),
          ' ',
          button(['Remove', hidden(` ${f.filename}`)], { kind: 'secondary', small: true, attrs: { 'data-file-id': f.id }, onClick: () => this.remove(f) }),
        ),
      ),
    );
  }

  /** GOV.UK's error on the file upload: on the group, above the control, read out with it. */
  private showError(message: string | null): void {
    this.root.querySelector('#reply-file-error')?.remove();
    this.root.classList.toggle('govuk-form-group--error', !!message);
    this.input.classList.toggle('govuk-file-upload--error', !!message);
    const described = ['reply-file-hint', 'reply-file-status'];
    if (message) {
      const error = errorMessage('reply-file-error', message);
      error.setAttribute('role', 'alert');
      this.input.before(error);
      described.unshift('reply-file-error');
    }
    this.input.setAttribute('aria-describedby', described.join(' '));
  }
}

function sizeText(bytes: number): string {
  return bytes >= 1024 * 1024 ? `${(bytes / (1024 * 1024)).toFixed(1)}MB` : `${Math.max(1, Math.round(bytes / 1024))}KB`;
}

/** The hub's refusal of an upload in GOV.UK's words for a file upload, naming the file. */
export function uploadError(file: File, status: number, hubMessage: string | undefined): string {
  if (status === 415) return `${file.name} must be an image, PDF, Word, Excel or OpenDocument file`;
  if (status === 413) return `${file.name} must be smaller than 10MB`;
  return `${file.name} could not be uploaded: ${hubMessage ?? 'try again'}`;
}
