import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import type { Request } from 'express';
import { bearerToken } from '../../common/bearer';
import type { Visitor } from './webchat-session.service';
import { WebchatUploads } from './webchat-uploads.service';

/** The request of an upload the guard admitted, with its visitor. */
export type AdmittedUpload = Request & { visitor: Visitor };

/**
 * Runs before the multipart body is read (guards come before interceptors): a bad token or a visitor over the upload
 * limits is answered at once, not after the hub has taken in up to 10 MB.
 */
@Injectable()
export class WebchatUploadGuard implements CanActivate {
  constructor(private readonly uploads: WebchatUploads) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<AdmittedUpload>();
    req.visitor = await this.uploads.admit(bearerToken(req.headers.authorization), req.ip ?? 'unknown');
    return true;
  }
}
