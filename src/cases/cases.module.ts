import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { DepartmentsModule } from '../departments/departments.module';
import { InboxesModule } from '../inboxes/inboxes.module';
import { MessagesModule } from '../messages/messages.module';
import { ResidentsModule } from '../residents/residents.module';
import { RoutingModule } from '../routing/routing.module';
import { CaseClaimRepository } from './case-claim.repository';
import { CaseAttachmentsService } from './case-attachments.service';
import { CaseClaimService } from './case-claim.service';
import { CaseComposeService } from './case-compose.service';
import { CaseRepliesController } from './case-replies.controller';
import { CaseReplyService } from './case-reply.service';
import { CaseRepository } from './case.repository';
import { CasesService } from './cases.service';
import { ClaimNextQueue } from './claim-next.queue';

@Module({
  imports: [RoutingModule, MessagesModule, AgentsModule, DepartmentsModule, InboxesModule, ResidentsModule],
  controllers: [CaseRepliesController],
  providers: [CaseRepository, CasesService, CaseReplyService, CaseClaimRepository, CaseClaimService, ClaimNextQueue, CaseComposeService, CaseAttachmentsService],
  exports: [CasesService, CaseReplyService, CaseClaimService, CaseComposeService],
})
export class CasesModule {}
