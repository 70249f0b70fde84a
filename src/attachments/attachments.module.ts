import { Global, Module } from '@nestjs/common';
import { CaseQueryModule } from '../cases/case-query.module';
import { AttachmentRepository } from './attachment.repository';
import { AttachmentService } from './attachment.service';
import { AttachmentsController } from './attachments.controller';

/** One store of attachment bytes for every channel (global: channels use it without importing it). */
@Global()
@Module({
  imports: [CaseQueryModule],
  controllers: [AttachmentsController],
  providers: [AttachmentRepository, AttachmentService],
  exports: [AttachmentService],
})
export class AttachmentsModule {}
