import { Injectable } from '@nestjs/common';
import { AttachmentService, ATTACHMENT_MAX_BYTES, OpenedAttachment } from '../../attachments/attachment.service';
import { RESIDENT_UPLOAD_TYPES } from '../../attachments/content-type';
import { HubError } from '../../common/errors';
import { WebchatReadRepository } from './webchat-read.repository';
import { WebchatRateLimits } from './webchat-rate-limits';
import { Visitor, WebchatSessionService } from './webchat-session.service';
import { uploadSource } from './webchat.service';

/** Residents' files: stored (typed from their bytes) for a later message:send, and shown only in their own chat. */
@Injectable()
export class WebchatUploads {
  constructor(
    private readonly sessions: WebchatSessionService,
    private readonly attachments: AttachmentService,
    private readonly reads: WebchatReadRepository,
    private readonly limits: WebchatRateLimits,
  ) {}

  /**
   * Who may upload, checked before the file is read (WebchatUploadGuard): a valid visitor token within the upload
   * limits, so a stranger cannot make the hub take in 10 MB first.
   */
  async admit(token: string | undefined, ip: string): Promise<Visitor> {
    const visitor = await this.sessions.identify(token);
    await this.limits.consume('upload', visitor.visitorId);
    await this.limits.consume('uploadIp', ip);
    return visitor;
  }

  async upload(visitor: Visitor, file: { buffer: Buffer; originalname: string; mimetype: string }) {
    const stored = await this.attachments.store({
      bytes: file.buffer,
      filename: file.originalname,
      declaredType: file.mimetype,
      source: uploadSource(visitor.visitorId),
      allow: RESIDENT_UPLOAD_TYPES,
      maxBytes: ATTACHMENT_MAX_BYTES,
    });
    return { id: stored.id, filename: stored.filename, contentType: stored.contentType, size: stored.size };
  }

  /** The file, if it is the visitor's own upload, or on a case of theirs (staff's once sent); NotFound otherwise (never "forbidden": no hint it exists). */
  async open(token: string | undefined, id: string): Promise<OpenedAttachment> {
    const visitor = await this.sessions.identify(token);
    const opened = await this.attachments.open(id);
    const caseId = opened.attachment.case_id;
    const mine = caseId ? await this.reads.isCaseOf(caseId, visitor.address, visitor.inbox.id) : opened.attachment.source === uploadSource(visitor.visitorId);
    // A file staff attached but have not sent yet is theirs alone: the resident sees it once a reply carries it.
    const shown = mine && (!caseId || !opened.attachment.source.startsWith('staff:') || (await this.reads.isSentOnCase(caseId, id)));
    if (!shown) throw HubError.notFound('Attachment', id);
    return opened;
  }
}
