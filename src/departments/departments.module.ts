import { Module } from '@nestjs/common';
import { DepartmentRepository } from './department.repository';
import { DepartmentsService } from './departments.service';
import { DepartmentsController } from './departments.controller';

@Module({
  controllers: [DepartmentsController],
  providers: [DepartmentRepository, DepartmentsService],
  exports: [DepartmentsService],
})
export class DepartmentsModule {}
