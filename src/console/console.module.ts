import { Module } from '@nestjs/common';
import { AgentsModule } from '../agents/agents.module';
import { CasesModule } from '../cases/cases.module';
import { DeliveryModule } from '../delivery/delivery.module';
import { DepartmentsModule } from '../departments/departments.module';
import { MessagesModule } from '../messages/messages.module';
import { ResidentsModule } from '../residents/residents.module';
import { CannedRepliesService } from './canned-replies.service';
import { CommandsInFlight } from './commands-in-flight';
import { ConsolePresenceService } from './console-presence.service';
import { ConsoleReadRepository } from './console-read.repository';
import { ConsoleGateway } from './console.gateway';
import { ConsoleListeners } from './console.listeners';
import { ConsoleService } from './console.service';

/** The agent console's socket: commands in (gateway → services), committed domain events out (listeners). */
@Module({
  imports: [CasesModule, AgentsModule, DeliveryModule, DepartmentsModule, MessagesModule, ResidentsModule],
  providers: [ConsoleGateway, ConsoleService, ConsolePresenceService, ConsoleListeners, ConsoleReadRepository, CannedRepliesService, CommandsInFlight],
})
export class ConsoleModule {}
