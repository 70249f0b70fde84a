import { DynamicModule, Global, Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { CouncilConfig } from './council-config';
import { Env, validateEnv } from './env';

/**
 * Process configuration (environment, validated once) and the council's editable files in CONFIG_DIR.
 * `overrides` lets tests and the CLI set variables without touching process.env.
 */
@Global()
@Module({})
export class HubConfigModule {
  static forRoot(overrides: Record<string, string | undefined> = {}): DynamicModule {
    let env!: Env;
    const nestConfig = ConfigModule.forRoot({
      envFilePath: '.env',
      ignoreEnvFile: process.env.NODE_ENV === 'test',
      validate: (raw) => (env = validateEnv({ ...raw, ...overrides })),
    });
    return {
      module: HubConfigModule,
      imports: [nestConfig],
      providers: [
        { provide: Env, useFactory: () => env },
        { provide: CouncilConfig, useFactory: (e: Env) => CouncilConfig.load(e.CONFIG_DIR), inject: [Env] },
      ],
      exports: [Env, CouncilConfig],
    };
  }
}
