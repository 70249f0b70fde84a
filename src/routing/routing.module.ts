import { Module } from '@nestjs/common';
import { DepartmentsModule } from '../departments/departments.module';
import { TriageService } from './triage.service';

@Module({
  imports: [DepartmentsModule],
  providers: [TriageService],
  exports: [TriageService],
})
export class RoutingModule {}
