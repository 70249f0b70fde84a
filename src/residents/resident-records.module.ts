import { Module } from '@nestjs/common';
import { CaseQueryModule } from '../cases/case-query.module';
import { CasesModule } from '../cases/cases.module';
import { ResidentRecordsService } from './resident-records.service';
import { ResidentsController } from './residents.controller';
import { ResidentsModule } from './residents.module';

/** The staff API over residents (view, merge). Apart from ResidentsModule, which intake and cases build on. */
@Module({
  imports: [ResidentsModule, CasesModule, CaseQueryModule],
  controllers: [ResidentsController],
  providers: [ResidentRecordsService],
})
export class ResidentRecordsModule {}
