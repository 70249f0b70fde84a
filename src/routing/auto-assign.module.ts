import { Module } from '@nestjs/common';
import { CasesModule } from '../cases/cases.module';
import { AutoAssignService } from './auto-assign.service';

@Module({
  imports: [CasesModule],
  providers: [AutoAssignService],
  exports: [AutoAssignService],
})
export class AutoAssignModule {}
