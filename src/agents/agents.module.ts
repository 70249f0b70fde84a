import { Module } from '@nestjs/common';
import { DepartmentsModule } from '../departments/departments.module';
import { AgentPresenceRepository } from './agent-presence.repository';
import { AgentPresenceService } from './agent-presence.service';
import { AgentRepository } from './agent.repository';
import { AgentsService } from './agents.service';

@Module({
  imports: [DepartmentsModule],
  providers: [AgentRepository, AgentsService, AgentPresenceRepository, AgentPresenceService],
  exports: [AgentsService, AgentPresenceService],
})
export class AgentsModule {}
