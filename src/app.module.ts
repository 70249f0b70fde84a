import { DynamicModule, Module } from '@nestjs/common';
import { AttachmentsModule } from './attachments/attachments.module';
import { AuditModule } from './audit/audit.module';
import { AuthModule } from './auth/auth.module';
import { CaseQueryModule } from './cases/case-query.module';
import { CasesModule } from './cases/cases.module';
import { ConsoleModule } from './console/console.module';
import { ChannelsModule } from './channels/channels.module';
import { HubConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { DeliveryModule } from './delivery/delivery.module';
import { HealthModule } from './health/health.module';
import { DepartmentsModule } from './departments/departments.module';
import { EventsModule } from './events/events.module';
import { InboxesModule } from './inboxes/inboxes.module';
import { IntakeModule } from './intake/intake.module';
import { JobsModule } from './jobs/jobs.module';
import { FailedMessagesModule } from './messages/failed-messages.module';
import { MetricsModule } from './metrics/metrics.module';
import { RealtimeModule } from './realtime/realtime.module';
import { ResidentRecordsModule } from './residents/resident-records.module';
import { AutoAssignModule } from './routing/auto-assign.module';
import { SupervisorModule } from './supervisor/supervisor.module';
import { WebModule } from './web/web.module';
import { SlaModule } from './sla/sla.module';

@Module({})
export class AppModule {
  /** `overrides` set environment variables for this app only (tests, the CLI). */
  static forRoot(overrides: Record<string, string | undefined> = {}): DynamicModule {
    return {
      module: AppModule,
      imports: [
        HubConfigModule.forRoot(overrides),
        EventsModule,
        DatabaseModule,
        JobsModule,
        MetricsModule,
        AuditModule,
        AttachmentsModule,
        DepartmentsModule,
        InboxesModule,
        CasesModule,
        IntakeModule,
        ChannelsModule,
        DeliveryModule,
        AuthModule,
        CaseQueryModule,
        ResidentRecordsModule,
        FailedMessagesModule,
        HealthModule,
        WebModule,
        RealtimeModule,
        ConsoleModule,
        SupervisorModule,
        AutoAssignModule,
        SlaModule,
      ],
    };
  }
}
