import { Module } from '@nestjs/common';
import { DepartmentRepository } from './department.repository';
import { DepartmentsService } from './departments.service';

@Module({
  providers: [DepartmentRepository, DepartmentsService],
  exports: [DepartmentsService],
})
export class DepartmentsModule {}
