import { Module } from '@nestjs/common';
import { DepartmentsModule } from '../departments/departments.module';
import { InboxRepository } from './inbox.repository';
import { InboxesService } from './inboxes.service';
import { InboxesController } from './inboxes.controller';

@Module({
  controllers: [InboxesController],
  imports: [DepartmentsModule],
  providers: [InboxRepository, InboxesService],
  exports: [InboxesService],
})
export class InboxesModule {}
