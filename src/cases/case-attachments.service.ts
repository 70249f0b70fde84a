import { Injectable } from '@nestjs/common';
import { AttachmentService, ATTACHMENT_MAX_BYTES, StoredAttachment } from '../attachments/attachment.service';
import { STAFF_UPLOAD_TYPES } from '../attachments/content-type';
import type { Actor } from '../auth/actor';
import { HubError } from '../common/errors';
import { Db } from '../database/db';
import { CaseComposeService } from './case-compose.service';

/** Most files one reply carries. */
export const REPLY_ATTACHMENTS_MAX = 5;

const STAFF_SOURCE = 'staff:';

/**
 * Files staff attach to a reply. An upload is stored (typed from its bytes) and tied to its case at once, so staff
 * open it like any file of the case and a reply on another case cannot send it; the reply names it by id.
 */
@Injectable()
export class CaseAttachmentsService {
  constructor(
    private readonly db: Db,
    private readonly attachments: AttachmentService,
    private readonly compose: CaseComposeService,
  ) {}

  async upload(actor: Actor, caseId: string, file: { buffer: Buffer; originalname: string; mimetype: string }): Promise<StoredAttachment> {
    const kase = await this.compose.visibleCase(actor, caseId);
    if (!kase) throw HubError.notFound('Case', caseId);
    const stored = await this.attachments.store({
      bytes: file.buffer,
      filename: file.originalname,
      declaredType: file.mimetype,
      source: `${STAFF_SOURCE}${actor.id}`,
      allow: STAFF_UPLOAD_TYPES,
      maxBytes: ATTACHMENT_MAX_BYTES,
    });
    const [linked] = await this.db.transaction((tx) => this.attachments.link(tx, [stored.id], kase.id));
    return linked;
  }

  /**
   * The files a reply names, checked: each an upload by staff to this very case, at most REPLY_ATTACHMENTS_MAX, no
   * repeats. Validation names the first one that is not.
   */
  async forReply(caseId: string, ids: unknown): Promise<StoredAttachment[]> {
    if (ids === undefined || ids === null) return [];
    if (!Array.isArray(ids) || ids.some((id) => typeof id !== 'string')) throw HubError.validation('attachmentIds: must be a list of attachment ids', { field: 'attachmentIds' });
    const unique = [...new Set(ids as string[])];
    if (unique.length > REPLY_ATTACHMENTS_MAX) {
      throw HubError.validation(`attachmentIds: at most ${REPLY_ATTACHMENTS_MAX} files per reply (${unique.length} given)`, { field: 'attachmentIds' });
    }
    const found = await this.attachments.onCase(unique, caseId, STAFF_SOURCE);
    const missing = unique.find((id) => !found.some((a) => a.id === id));
    if (missing) throw HubError.validation(`attachmentIds: ${missing} is not a file staff attached to this case`, { field: 'attachmentIds', attachmentId: missing });
    return found;
  }
}
