import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { HubError } from '../common/errors';
import { CouncilConfig } from '../config/council-config';
import { Db } from '../database/db';
import { DepartmentRepository, DepartmentRow, ServiceRow } from './department.repository';

export interface CatalogueService {
  id: string;
  lgsl: number;
  name: string;
  departmentId: string;
}

/**
 * Departments and the service catalogue. config/catalogue.yaml is the source: it is written to the database at
 * start-up, so a council edits one file and restarts. Entries removed from the file stay (cases refer to them).
 */
@Injectable()
export class DepartmentsService implements OnApplicationBootstrap {
  private readonly logger = new Logger(DepartmentsService.name);
  private byLgsl = new Map<number, CatalogueService>();

  constructor(
    private readonly db: Db,
    private readonly departments: DepartmentRepository,
    private readonly council: CouncilConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.syncCatalogue();
  }

  async syncCatalogue(): Promise<void> {
    await this.db.transaction(async ({ manager }) => {
      const ids = new Map<string, string>();
      for (const d of this.council.departments) ids.set(d.slug, (await this.departments.upsertDepartment(manager, d.slug, d.name, d.answerTargetSeconds)).id);
      for (const s of this.council.services) await this.departments.upsertService(manager, s.lgsl, s.name, ids.get(s.department)!);
    });
    await this.reloadServices();
    this.logger.log(`catalogue: ${this.council.departments.length} departments, ${this.council.services.length} services`);
  }

  async getBySlugOrId(key: string): Promise<DepartmentRow> {
    const row = await this.departments.findBySlugOrId(key);
    if (!row) throw HubError.validation(`department "${key}" does not exist`, { field: 'department' });
    return row;
  }

  list(): Promise<DepartmentRow[]> {
    return this.departments.list();
  }

  async listServices(): Promise<CatalogueService[]> {
    return (await this.departments.listServices()).map(toService);
  }

  /** The catalogue entry with this id, from memory. */
  serviceById(id: string): CatalogueService | undefined {
    for (const service of this.byLgsl.values()) if (service.id === id) return service;
    return undefined;
  }

  /** The catalogue entry for an LGSL id, from memory (triage asks on every new case). */
  serviceByLgsl(lgsl: number): CatalogueService | undefined {
    return this.byLgsl.get(lgsl);
  }

  private async reloadServices(): Promise<void> {
    this.byLgsl = new Map((await this.departments.listServices()).map((r) => [r.lgsl_id, toService(r)]));
  }
}

function toService(r: ServiceRow): CatalogueService {
  return { id: r.id, lgsl: r.lgsl_id, name: r.name, departmentId: r.department_id };
}
