import { Module } from '@nestjs/common';
import { DepartmentsModule } from '../departments/departments.module';
import { MessagesModule } from '../messages/messages.module';
import { ResidentsModule } from '../residents/residents.module';
import { CaseQueryRepository } from './case-query.repository';
import { CaseQueryService } from './case-query.service';
import { CasesController } from './cases.controller';

/**
 * The staff read side of cases (queue, case page, a resident's cases, failed deliveries, queue depth), kept apart
 * from CasesModule's write rules so it can depend on residents and messages without a module cycle.
 */
@Module({
  imports: [DepartmentsModule, MessagesModule, ResidentsModule],
  controllers: [CasesController],
  providers: [CaseQueryRepository, CaseQueryService],
  exports: [CaseQueryService],
})
export class CaseQueryModule {}
