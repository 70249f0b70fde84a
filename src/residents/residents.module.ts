import { Module } from '@nestjs/common';
import { ResidentRepository } from './resident.repository';
import { ResidentsService } from './residents.service';

@Module({
  providers: [ResidentRepository, ResidentsService],
  exports: [ResidentsService],
})
export class ResidentsModule {}
