import { FileInterceptor } from '@nestjs/platform-express';
import type { MulterOptions } from '@nestjs/platform-express/multer/interfaces/multer-options.interface';
import { memoryStorage } from 'multer';
import { ATTACHMENT_MAX_BYTES } from './attachment.service';

/**
 * Multer's options for every attachment upload (staff replies, web chat): one file in memory, 10 MB. Browsers send
 * the multipart filename as raw UTF-8; busboy reads it as latin1 unless told otherwise, which turns `Zoë.png` into
 * `ZoÃ«.png`, so header parameters without an explicit charset are read as UTF-8.
 */
export const ATTACHMENT_UPLOAD_OPTIONS: MulterOptions = {
  storage: memoryStorage(),
  limits: { fileSize: ATTACHMENT_MAX_BYTES, files: 1, fields: 5 },
  defParamCharset: 'utf8',
};

/** The interceptor for an attachment upload in the multipart field `file`. */
export const AttachmentFileInterceptor = () => FileInterceptor('file', ATTACHMENT_UPLOAD_OPTIONS);
