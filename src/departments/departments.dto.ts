import { ApiProperty } from '@nestjs/swagger';

export class DepartmentDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'waste' }) slug: string;
  @ApiProperty({ example: 'Waste and recycling' }) name: string;
}

export class ServiceDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ description: 'LGSL id in the Local Government Services List', example: 524 }) lgsl: number;
  @ApiProperty() name: string;
  @ApiProperty({ format: 'uuid' }) departmentId: string;
}
