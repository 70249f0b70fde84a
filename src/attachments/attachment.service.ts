import { Injectable, OnApplicationBootstrap } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { AttachmentMeta } from '../channels/channel-adapter';
import { HubError } from '../common/errors';
import { Env } from '../config/env';
import { Tx } from '../database/db';
import { JobQueue } from '../jobs/job-queue';
import { runsJobWorker } from '../jobs/jobs.module';
import { JobName } from '../jobs/job.types';
import { OnJob } from '../jobs/on-job.decorator';
import { AttachmentRepository, AttachmentRow } from './attachment.repository';
import { RESIDENT_UPLOAD_TYPES, sniffContentType } from './content-type';
import type { Actor } from '../auth/actor';
import { CaseQueryService } from '../cases/case-query.service';

export const ATTACHMENT_MAX_BYTES = 10 * 1024 * 1024;
/** An upload nobody sent (the resident closed the tab) is removed after a day. */
const UNLINKED_TTL_MS = 24 * 60 * 60 * 1000;
const PURGE_EVERY_MS = 60 * 60 * 1000;

export interface StoreAttachment {
  bytes: Buffer;
  filename?: string;
  /** What the sender claimed: used only for text formats, which have no signature in their bytes. */
  declaredType?: string;
  /** Who stored it, e.g. `webchat:<visitor id>` or `sms`: a link may be restricted to the same source. */
  source: string;
  allow?: readonly string[];
  maxBytes?: number;
}

export interface StoredAttachment extends AttachmentMeta {
  id: string;
  url: string;
}

export interface OpenedAttachment {
  attachment: AttachmentRow;
  bytes: Buffer;
}

/**
 * The hub's one store of attachment bytes, for every channel. A file's type comes from its bytes, so a file that
 * lies about its type is refused whatever its name says; bytes live in PostgreSQL beside the case they belong to.
 */
@Injectable()
export class AttachmentService implements OnApplicationBootstrap {
  constructor(
    private readonly attachments: AttachmentRepository,
    private readonly jobs: JobQueue,
    private readonly env: Env,
    private readonly cases: CaseQueryService,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (runsJobWorker(this.env)) await this.jobs.schedule(JobName.PurgeUnlinkedAttachments, PURGE_EVERY_MS);
  }

  async store(input: StoreAttachment): Promise<StoredAttachment> {
    const maxBytes = input.maxBytes ?? ATTACHMENT_MAX_BYTES;
    if (!input.bytes.length) throw HubError.validation('The file is empty', { field: 'file' });
    if (input.bytes.length > maxBytes) throw new HubError('PayloadTooLarge', `The file is ${input.bytes.length} bytes, over the ${maxBytes} byte limit`);
    const contentType = await this.allowedType(input);
    const row = await this.attachments.insert({
      source: input.source,
      filename: safeFilename(input.filename, contentType),
      contentType,
      bytes: input.bytes,
      sha256: createHash('sha256').update(input.bytes).digest('hex'),
    });
    return toStored(row);
  }

  /** Ties stored attachments to the case their message joined; ones already linked or from another source are left alone. */
  async link(tx: Tx, ids: string[], caseId: string, source?: string): Promise<StoredAttachment[]> {
    const rows = await this.attachments.link(tx.manager, ids, caseId, source);
    return rows.map(toStored);
  }

  async describe(ids: string[]): Promise<StoredAttachment[]> {
    const rows = await this.attachments.findMany(ids);
    const byId = new Map(rows.map((r) => [r.id, r]));
    return ids.flatMap((id) => (byId.has(id) ? [toStored(byId.get(id)!)] : []));
  }

  /** Which of these uploads `source` stored and nobody has sent yet, in the order asked (a message may only send its own). */
  async unlinkedFrom(ids: string[], source: string): Promise<StoredAttachment[]> {
    const rows = new Map((await this.attachments.findMany(ids)).map((r) => [r.id, r]));
    return ids.flatMap((id) => {
      const row = rows.get(id);
      return row && row.source === source && row.case_id === null ? [toStored(row)] : [];
    });
  }

  /** Which of `ids` are on `caseId` and were stored by a source starting with `sourcePrefix`, in the order asked. */
  async onCase(ids: string[], caseId: string, sourcePrefix: string): Promise<StoredAttachment[]> {
    const rows = new Map((await this.attachments.findMany(ids.filter(isUuid))).map((r) => [r.id, r]));
    return ids.flatMap((id) => {
      const row = rows.get(id);
      return row && row.case_id === caseId && row.source.startsWith(sourcePrefix) ? [toStored(row)] : [];
    });
  }

  /** For staff: only an attachment already on a case they can see; anything else is NotFound (it does not leak). */
  async openForStaff(actor: Actor, id: string): Promise<OpenedAttachment> {
    const opened = await this.open(id);
    if (!opened.attachment.case_id) throw HubError.notFound('Attachment', id);
    try {
      await this.cases.assertVisible(actor, opened.attachment.case_id);
    } catch (e) {
      // The case's own NotFound would name the case the file belongs to.
      if (e instanceof HubError && e.code === 'NotFound') throw HubError.notFound('Attachment', id);
      throw e;
    }
    return opened;
  }

  async open(id: string): Promise<OpenedAttachment> {
    const attachment = isUuid(id) ? await this.attachments.find(id) : undefined;
    const bytes = attachment && (await this.attachments.bytes(id));
    if (!attachment || !bytes) throw HubError.notFound('Attachment', id);
    return { attachment, bytes };
  }

  @OnJob(JobName.PurgeUnlinkedAttachments)
  async purgeUnlinked(): Promise<void> {
    await this.attachments.deleteUnlinkedBefore(new Date(Date.now() - UNLINKED_TTL_MS));
  }

  private async allowedType(input: StoreAttachment): Promise<string> {
    const allow = input.allow ?? RESIDENT_UPLOAD_TYPES;
    const sniffed = await sniffContentType(input.bytes, input.declaredType);
    if (!sniffed) throw new HubError('UnsupportedType', `The file's content is not a recognised type; allowed: ${allow.join(', ')}`);
    if (!allow.includes(sniffed)) throw new HubError('UnsupportedType', `The file's content is ${sniffed}, which is not allowed; allowed: ${allow.join(', ')}`);
    return sniffed;
  }
}

export function attachmentUrl(id: string): string {
  return `/api/v1/attachments/${id}`;
}

function toStored(row: AttachmentRow): StoredAttachment {
  return { id: row.id, filename: row.filename, contentType: row.content_type, size: row.size, url: attachmentUrl(row.id) };
}

const EXTENSIONS: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'application/pdf': 'pdf',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document': 'docx',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet': 'xlsx',
  'application/vnd.oasis.opendocument.text': 'odt',
  'application/vnd.oasis.opendocument.spreadsheet': 'ods',
};

/**
 * Characters a name may not keep: C0, DEL and C1 controls (U+0080–U+009F, e.g. U+0085), the bidi controls that can
 * show `invoice\u202Efdp.exe` as `invoiceexe.pdf` (LRM, RLM, ALM, LRE…RLO, LRI…PDI), zero-width and other invisible
 * format characters, line and paragraph separators, and `"`. ZWJ and ZWNJ stay: scripts and emoji need them.
 */
const UNSAFE_IN_NAME = /[\u0000-\u001F\u007F-\u009F\u00AD\u061C\u180E\u200B\u200E\u200F\u2028-\u202E\u2060-\u206F\uFEFF\uFFF9-\uFFFB"]/g;

/** A name safe to show and to put in Content-Disposition: no path, no control or invisible characters, not too long. */
export function safeFilename(name: string | undefined, contentType: string): string {
  const last = (name ?? '').normalize('NFC').split(/[\\/]/).pop()!.replace(UNSAFE_IN_NAME, '').trim();
  // At most 200 characters, cut between code points so no half of a surrogate pair is left.
  const base = Array.from(last).slice(0, 200).join('').trim();
  return base || `attachment.${EXTENSIONS[contentType] ?? 'bin'}`;
}

function isUuid(id: string): boolean {
  return /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id);
}
