import { Module } from '@nestjs/common';
import { CouncilConfig } from '../config/council-config';
import { Env } from '../config/env';
import { OpeningHours } from './opening-hours';
import { DepartmentRepository } from './department.repository';
import { DepartmentsService } from './departments.service';
import { DepartmentsController } from './departments.controller';

@Module({
  controllers: [DepartmentsController],
  providers: [
    DepartmentRepository,
    DepartmentsService,
    // Each department's opening hours (config/opening-hours.yaml): the SLA's working time and the web chat's "open".
    { provide: OpeningHours, inject: [Env, CouncilConfig], useFactory: (env: Env, council: CouncilConfig) => OpeningHours.load(env.CONFIG_DIR, council) },
  ],
  exports: [DepartmentsService, OpeningHours],
})
export class DepartmentsModule {}
