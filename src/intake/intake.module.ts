import { Module } from '@nestjs/common';
import { CasesModule } from '../cases/cases.module';
import { MessagesModule } from '../messages/messages.module';
import { ResidentsModule } from '../residents/residents.module';
import { IntakeService } from './intake.service';

@Module({
  imports: [ResidentsModule, CasesModule, MessagesModule],
  providers: [IntakeService],
  exports: [IntakeService],
})
export class IntakeModule {}
