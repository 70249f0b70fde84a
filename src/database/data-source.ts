import { DataSource, DataSourceOptions } from 'typeorm';
import { Foundation1764230400000 } from '../../migrations/1764230400000-Foundation';

/** Every migration, in order. A schema change is a new file in migrations/ added here. */
export const MIGRATIONS = [Foundation1764230400000];

export function dataSourceOptions(url: string, poolSize: number): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [],
    migrations: MIGRATIONS,
    migrationsTableName: 'migration',
    migrationsTransactionMode: 'each',
    synchronize: false,
    poolSize,
    uuidExtension: 'pgcrypto',
    extra: { max: poolSize, application_name: 'contact-hub' },
  };
}

export function createDataSource(url: string, poolSize = 4): DataSource {
  return new DataSource(dataSourceOptions(url, poolSize));
}
