import { Global, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { Env } from '../config/env';
import { Db } from './db';
import { dataSourceOptions } from './data-source';
import { EmbeddedPostgres, startEmbeddedPostgres } from './embedded-postgres';

let embedded: EmbeddedPostgres | undefined;
const EMBEDDED_POOL_SIZE = 1;

/** The database seam: PostgreSQL at DATABASE_URL, or the embedded PGlite when it is unset. */
@Global()
@Module({
  imports: [
    TypeOrmModule.forRootAsync({
      inject: [Env],
      useFactory: async (env: Env) => {
        let url = env.DATABASE_URL;
        // One connection to the embedded database: pglite-socket interleaves the extended-protocol messages of
        // concurrent connections ("unnamed prepared statement does not exist", wrong rows), and PGlite runs one
        // transaction at a time anyway.
        const poolSize = url ? env.DATABASE_POOL_SIZE : EMBEDDED_POOL_SIZE;
        if (!url) {
          embedded = await startEmbeddedPostgres(env.DATA_DIR, poolSize);
          url = embedded.url;
        }
        return {
          ...dataSourceOptions(url, poolSize),
          retryAttempts: 3,
          retryDelay: 500,
          toRetry: (e: unknown) => !(e instanceof PendingMigrations), // retrying cannot migrate the schema
        };
      },
      dataSourceFactory: async (options) => {
        const ds = await new DataSource(options!).initialize();
        try {
          await ensureMigrated(ds, !!embedded);
        } catch (e) {
          await ds.destroy();
          throw e;
        }
        return ds;
      },
    }),
  ],
  providers: [Db],
  exports: [Db],
})
export class DatabaseModule implements OnApplicationShutdown {
  async onApplicationShutdown(): Promise<void> {
    // TypeOrmModule closes the pool first; the embedded server goes last.
    await embedded?.stop();
    embedded = undefined;
  }
}

class PendingMigrations extends Error {
  constructor() {
    super('The database has pending migrations: run `npm run hub -- migrate` first');
  }
}

/**
 * The embedded database migrates itself (zero setup). A shared PostgreSQL is migrated on purpose with
 * `npm run hub -- migrate`, so that several app processes never race each other over the schema.
 */
async function ensureMigrated(ds: DataSource, autoMigrate: boolean): Promise<void> {
  if (!(await ds.showMigrations())) return;
  if (autoMigrate) {
    await ds.runMigrations({ transaction: 'each' });
    new Logger('Database').log('embedded database migrated');
    return;
  }
  throw new PendingMigrations();
}
