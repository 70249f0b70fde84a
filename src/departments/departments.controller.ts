import { Controller, Get, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { StaffGuard } from '../auth/staff.guard';
import { DepartmentDto, ServiceDto } from './departments.dto';
import { CatalogueService, DepartmentsService } from './departments.service';
import { DepartmentRow } from './department.repository';

@ApiTags('catalogue')
@ApiBearerAuth('staff-token')
@UseGuards(StaffGuard)
@ApiResponse({ status: 401, description: 'Not signed in' })
@Controller('api/v1')
export class DepartmentsController {
  constructor(private readonly departments: DepartmentsService) {}

  @Get('departments')
  @ApiOperation({ summary: 'Every department (a queue and its team), by name' })
  @ApiResponse({ status: 200, type: [DepartmentDto] })
  listDepartments(): Promise<DepartmentRow[]> {
    return this.departments.list();
  }

  @Get('services')
  @ApiOperation({ summary: 'The council’s service catalogue, by name' })
  @ApiResponse({ status: 200, type: [ServiceDto] })
  listServices(): Promise<CatalogueService[]> {
    return this.departments.listServices();
  }
}
