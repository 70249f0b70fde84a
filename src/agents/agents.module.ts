import { Module } from '@nestjs/common';
import { DepartmentsModule } from '../departments/departments.module';
import { AgentPresenceRepository } from './agent-presence.repository';
import { AgentPresenceService } from './agent-presence.service';
import { AgentRepository } from './agent.repository';
import { AgentsController } from './agents.controller';
import { AgentsService } from './agents.service';

@Module({
  imports: [DepartmentsModule],
  controllers: [AgentsController],
  providers: [AgentRepository, AgentsService, AgentPresenceRepository, AgentPresenceService],
  exports: [AgentsService, AgentPresenceService],
})
export class AgentsModule {}
