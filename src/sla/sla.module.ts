import { Module } from '@nestjs/common';
import { SlackChannelModule } from '../channels/slack/slack-channel.module';
import { CouncilConfig } from '../config/council-config';
import { Env } from '../config/env';
import { DepartmentsModule } from '../departments/departments.module';
import { OpeningHours } from '../departments/opening-hours';
import { SlaConfig } from './sla-config';
import { SlaController } from './sla.controller';
import { SlaListeners } from './sla.listeners';
import { SlaRepository } from './sla.repository';
import { SlaService } from './sla.service';

/** SLA policies (config/sla.yaml), working-time clocks (departments' hours: config/opening-hours.yaml) on every case, and warning and breach alerts (docs/sla.md). */
@Module({
  imports: [DepartmentsModule, SlackChannelModule],
  controllers: [SlaController],
  providers: [
    {
      provide: SlaConfig,
      inject: [Env, CouncilConfig, OpeningHours],
      useFactory: (env: Env, council: CouncilConfig, hours: OpeningHours) => SlaConfig.load(env.CONFIG_DIR, council, hours),
    },
    SlaRepository,
    SlaService,
    SlaListeners,
  ],
  exports: [SlaConfig, SlaService],
})
export class SlaModule {}
