import type { Attachment, WebchatMessage } from './protocol';

export type EntryState = 'sending' | 'sent' | 'failed';

/** One bubble: a message from the server, or the resident's own one still on its way (matched by clientId). */
export interface Entry {
  message: WebchatMessage;
  state: EntryState;
  error?: string;
  /** Ids to send again with a retry. */
  attachmentIds?: string[];
}

/**
 * The conversation as the widget knows it, in order. Messages arrive from several places (hello, sync after a
 * reconnect, live `message` events, acks, another tab), so everything merges by id, or by clientId for the
 * resident's optimistic bubbles; nothing shows twice. Entries are kept as the same objects so views can key on them.
 */
export class TranscriptStore {
  readonly entries: Entry[] = [];

  /** Adds or updates a message from the server; `added` tells whether a new bubble appeared. */
  upsert(message: WebchatMessage): { entry: Entry; added: boolean } {
    const known = this.entries.find((e) => (e.message.id && e.message.id === message.id) || (message.clientId && e.message.clientId === message.clientId));
    if (known) {
      // A read flag already seen stays set: a late copy of the message must not undo it.
      known.message = { ...message, readByAgent: message.readByAgent || known.message.readByAgent };
      known.state = 'sent';
      known.error = undefined;
      return { entry: known, added: false };
    }
    const entry: Entry = { message, state: 'sent' };
    this.entries.splice(this.insertionIndex(message.createdAt), 0, entry);
    return { entry, added: true };
  }

  /** The resident's message before the server has it. */
  addPending(clientId: string, text: string, attachments: Attachment[], now: Date): Entry {
    const entry: Entry = {
      message: { id: '', clientId, direction: 'resident', text, authorName: null, attachments, createdAt: now.toISOString(), readByAgent: false },
      state: 'sending',
      attachmentIds: attachments.map((a) => a.id),
    };
    this.entries.push(entry);
    return entry;
  }

  fail(entry: Entry, error: string): void {
    if (entry.state === 'sent') return;
    entry.state = 'failed';
    entry.error = error;
  }

  /** The agent has read the resident's messages up to this one: those at or before it are read. */
  markReadUpTo(messageId: string): Entry[] {
    const upTo = this.entries.findIndex((e) => e.message.id === messageId);
    if (upTo < 0) return [];
    const changed: Entry[] = [];
    for (const e of this.entries.slice(0, upTo + 1)) {
      if (e.message.direction === 'resident' && e.state === 'sent' && !e.message.readByAgent) {
        e.message.readByAgent = true;
        changed.push(e);
      }
    }
    return changed;
  }

  /** The resident's messages the server has not confirmed, oldest first. */
  unconfirmed(): Entry[] {
    return this.entries.filter((e) => e.state !== 'sent');
  }

  lastFromAgent(): WebchatMessage | undefined {
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i].message.direction === 'agent' && this.entries[i].message.id) return this.entries[i].message;
    return undefined;
  }

  clear(): void {
    this.entries.splice(0);
  }

  /** After the last confirmed message not newer than this one, and before any still-unconfirmed bubble. */
  private insertionIndex(createdAt: string): number {
    let i = this.entries.length;
    while (i > 0) {
      const before = this.entries[i - 1];
      if (before.state === 'sent' && before.message.createdAt <= createdAt) break;
      i--;
    }
    return i;
  }
}
