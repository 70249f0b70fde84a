import { Module } from '@nestjs/common';
import { RoutingModule } from '../routing/routing.module';
import { CaseRepository } from './case.repository';
import { CasesService } from './cases.service';

@Module({
  imports: [RoutingModule],
  providers: [CaseRepository, CasesService],
  exports: [CasesService],
})
export class CasesModule {}
