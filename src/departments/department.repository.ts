import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { Db } from '../database/db';

export interface DepartmentRow {
  id: string;
  slug: string;
  name: string;
}

export interface ServiceRow {
  id: string;
  lgsl_id: number;
  name: string;
  department_id: string;
}

@Injectable()
export class DepartmentRepository {
  constructor(private readonly db: Db) {}

  async findBySlugOrId(key: string): Promise<DepartmentRow | undefined> {
    const isUuid = /^[0-9a-f-]{36}$/i.test(key);
    const rows = await this.db.manager.query(`SELECT id, slug, name FROM department WHERE ${isUuid ? 'id = $1::uuid' : 'slug = $1'}`, [key]);
    return rows[0];
  }

  async list(): Promise<DepartmentRow[]> {
    return this.db.manager.query(`SELECT id, slug, name FROM department ORDER BY name`);
  }

  async listServices(): Promise<ServiceRow[]> {
    return this.db.manager.query(`SELECT id, lgsl_id, name, department_id FROM service ORDER BY name`);
  }

  async upsertDepartment(m: EntityManager, slug: string, name: string, answerTargetSeconds: number): Promise<DepartmentRow> {
    const rows = await m.query(
      `INSERT INTO department (slug, name, answer_target_seconds) VALUES ($1, $2, $3)
       ON CONFLICT (slug) DO UPDATE SET name = EXCLUDED.name, answer_target_seconds = EXCLUDED.answer_target_seconds RETURNING id, slug, name`,
      [slug, name, answerTargetSeconds],
    );
    return rows[0];
  }

  async upsertService(m: EntityManager, lgsl: number, name: string, departmentId: string): Promise<void> {
    await m.query(
      `INSERT INTO service (lgsl_id, name, department_id) VALUES ($1, $2, $3)
       ON CONFLICT (lgsl_id) DO UPDATE SET name = EXCLUDED.name, department_id = EXCLUDED.department_id`,
      [lgsl, name, departmentId],
    );
  }
}
