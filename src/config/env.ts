import { plainToInstance, Transform } from 'class-transformer';
import { IsBoolean, IsEnum, IsIn, IsInt, IsOptional, IsString, IsUrl, Matches, Max, Min, MinLength, validateSync } from 'class-validator';
import { ProcessRole } from '../common/enum';

const toInt = ({ value }: { value: unknown }) => (value === undefined || value === '' ? undefined : Number(value));
const toBool = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : value === true || value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;
const emptyToUndefined = ({ value }: { value: unknown }) => (value === '' ? undefined : value);

/**
 * Every environment variable the hub reads. `.env.example` lists the same names; start-up fails with a message
 * naming the bad variable (see validateEnv).
 */
export class Env {
  @IsOptional() @IsIn(['development', 'production', 'test'])
  NODE_ENV: 'development' | 'production' | 'test' = 'development';

  @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  PORT = 3000;

  @IsString()
  HOST = '0.0.0.0';

  /** Public address of this hub, used in links and for provider signature checks behind a proxy. */
  @Transform(emptyToUndefined) @IsOptional() @IsUrl({ require_tld: false, require_protocol: true })
  PUBLIC_BASE_URL?: string;

  /** PostgreSQL connection string; unset means the embedded database (PGlite) in DATA_DIR. */
  @Transform(emptyToUndefined) @IsOptional() @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// URL' })
  DATABASE_URL?: string;

  @Transform(toInt) @IsInt() @Min(1) @Max(200)
  DATABASE_POOL_SIZE = 10;

  @IsString() @MinLength(1)
  DATA_DIR = '.data';

  /** Redis connection string; unset means jobs and events run in this process. */
  @Transform(emptyToUndefined) @IsOptional() @Matches(/^rediss?:\/\//, { message: 'must be a redis:// URL' })
  REDIS_URL?: string;

  /** Prefix for every Redis key, so several hubs (or test runs) can share one Redis. */
  @IsString() @MinLength(1)
  REDIS_PREFIX = 'hub';

  @IsEnum(ProcessRole)
  PROCESS_ROLE: ProcessRole = ProcessRole.All;

  /** false: this process neither consumes jobs nor schedules the sweep, whatever its role (the admin command line). */
  @Transform(toBool) @IsBoolean()
  JOBS_WORKER = true;

  /** Signs staff tokens and session cookies. Required with DATABASE_URL; the embedded mode makes one in DATA_DIR. */
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(32, { message: 'must be at least 32 characters' })
  AUTH_SECRET?: string;

  @Transform(toInt) @IsInt() @Min(60) @Max(60 * 60 * 24 * 30)
  AUTH_TOKEN_TTL_SECONDS = 60 * 60 * 12;

  @IsString() @MinLength(1)
  CONFIG_DIR = 'config';

  @Transform(toInt) @IsInt() @Min(0) @Max(365)
  REOPEN_WINDOW_DAYS = 7;

  @Transform(toInt) @IsInt() @Min(1) @Max(1000)
  INTAKE_BATCH_MAX = 64;

  @Transform(toInt) @IsInt() @Min(1) @Max(50)
  DELIVERY_MAX_ATTEMPTS = 5;

  @Transform(toInt) @IsInt() @Min(1) @Max(600_000)
  DELIVERY_BACKOFF_MS = 2000;

  @Transform(toInt) @IsInt() @Min(100) @Max(60_000)
  DELIVERY_TIMEOUT_MS = 10_000;

  @Transform(toInt) @IsInt() @Min(100) @Max(3_600_000)
  SWEEP_INTERVAL_MS = 60_000;

  @Transform(toInt) @IsInt() @Min(100) @Max(86_400_000)
  SWEEP_STUCK_AFTER_MS = 120_000;

  /** How long an agent whose last console socket dropped stays in their presence before going offline (a reload is not a sign-off). */
  @Transform(toInt) @IsInt() @Min(0) @Max(600_000)
  CONSOLE_OFFLINE_GRACE_MS = 15_000;

  /** How often auto-assigning departments are checked for waiting cases, besides the events that trigger it. */
  @Transform(toInt) @IsInt() @Min(100) @Max(3_600_000)
  AUTO_ASSIGN_SWEEP_MS = 30_000;

  @IsIn(['fatal', 'error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL = 'log';

  /** Swagger UI at /api/docs. */
  @Transform(toBool) @IsBoolean()
  API_DOCS = true;
}

export function validateEnv(raw: Record<string, unknown>): Env {
  const env = plainToInstance(Env, raw, { exposeDefaultValues: true });
  const errors = validateSync(env, { skipMissingProperties: false, whitelist: false });
  if (errors.length > 0) {
    const lines = errors.map((e) => `  ${e.property}=${JSON.stringify(raw[e.property] ?? null)}: ${Object.values(e.constraints ?? {}).join('; ')}`);
    throw new Error(`Invalid environment variable${errors.length > 1 ? 's' : ''}:\n${lines.join('\n')}`);
  }
  if (env.NODE_ENV === 'production' && env.DATABASE_URL && !env.AUTH_SECRET) {
    throw new Error('Invalid environment variable:\n  AUTH_SECRET: is required in production with DATABASE_URL');
  }
  return env;
}
