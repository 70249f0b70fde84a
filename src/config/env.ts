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

  /**
   * How long an idle keep-alive connection stays open. Longer than a proxy's or load balancer's idle timeout (60 s is
   * common), so the proxy never sends a request on a connection the hub is closing at that instant: Node's 5 s
   * default makes that race, seen as a 502 at the proxy or ECONNRESET at a client.
   */
  @Transform(toInt) @IsInt() @Min(1) @Max(3600)
  HTTP_KEEP_ALIVE_SECONDS = 65;

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

  /** Port of the built-in SMTP listener for direct delivery of email (0 picks a free one); unset means no listener. */
  @Transform(toInt) @IsOptional() @IsInt() @Min(0) @Max(65535)
  SMTP_PORT?: number;

  @IsString()
  SMTP_HOST = '0.0.0.0';

  /** Largest email taken, in bytes (advertised with SIZE; larger ones get 552). */
  @Transform(toInt) @IsInt() @Min(1024) @Max(100 * 1024 * 1024)
  EMAIL_MAX_MESSAGE_BYTES = 25 * 1024 * 1024;

  /** Largest single email attachment taken, in bytes. */
  @Transform(toInt) @IsInt() @Min(1024) @Max(100 * 1024 * 1024)
  EMAIL_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

  /** Outbound email relay, smtp://user:pass@host:587 or smtps://…:465; an inbox's settings.smtp wins over it. */
  @Transform(emptyToUndefined) @IsOptional() @Matches(/^smtps?:\/\//, { message: 'must be an smtp:// or smtps:// URL' })
  EMAIL_SMTP_URL?: string;

  /** Mailgun's webhook signing key: inbound route forwards to /channels/email/inbound are checked with it. Unset: refused. */
  @Transform(emptyToUndefined) @IsOptional() @IsString()
  MAILGUN_SIGNING_KEY?: string;

  @IsIn(['fatal', 'error', 'warn', 'log', 'debug', 'verbose'])
  LOG_LEVEL = 'log';

  /** Meta app secret: X-Hub-Signature-256 on /channels/meta is checked with it. Unset: Meta webhooks are refused. */
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(1)
  META_APP_SECRET?: string;

  /** The verify token typed into the Meta app's webhook settings; GET /channels/meta answers the handshake with it. */
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(1)
  META_VERIFY_TOKEN?: string;

  /** The Meta app's id: an echo carrying it is one of our own replies (others, sent from Meta Business Suite, are stored). */
  @Transform(emptyToUndefined) @IsOptional() @Matches(/^\d+$/, { message: 'must be the numeric Meta app id' })
  META_APP_ID?: string;

  /** Graph API base URL (tests point it at a local stand-in). */
  @IsUrl({ require_tld: false, require_protocol: true })
  META_GRAPH_API_URL = 'https://graph.facebook.com';

  @Matches(/^v\d+\.\d+$/, { message: 'must look like v21.0' })
  META_GRAPH_API_VERSION = 'v21.0';

  /** Slack app signing secret: POST /channels/slack/events is checked with it. Unset: Slack events are refused. */
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(1)
  SLACK_SIGNING_SECRET?: string;

  /** Slack bot token (xoxb-…) for chat.postMessage; a Slack inbox's settings.botToken wins over it. */
  @Transform(emptyToUndefined) @IsOptional() @IsString() @MinLength(1)
  SLACK_BOT_TOKEN?: string;

  /** Slack Web API base URL, ending in /api/ (tests point it at a local stand-in). */
  @IsUrl({ require_tld: false, require_protocol: true })
  SLACK_API_URL = 'https://slack.com/api/';

  /** Twilio REST API base URL instead of https://api.twilio.com (tests point it at a local stand-in). Unset: Twilio itself. */
  @Transform(emptyToUndefined) @IsOptional() @IsUrl({ require_tld: false, require_protocol: true })
  TWILIO_API_BASE_URL?: string;

  /** Staff mirror: department slug → Slack channel id, e.g. "waste=C012AB3CD,housing=C045EF6GH". Empty: no mirror. */
  @IsString() @Matches(/^$|^[a-z0-9-]+=[A-Z0-9]+(,[a-z0-9-]+=[A-Z0-9]+)*$/, { message: 'must look like waste=C012AB3CD,housing=C045EF6GH' })
  SLACK_MIRROR_CHANNELS = '';

  /** Web chat: a reply the resident has not seen in the widget after this many milliseconds is also emailed (if they gave an email). */
  @Transform(toInt) @IsInt() @Min(1000) @Max(86_400_000)
  WEBCHAT_UNSEEN_EMAIL_AFTER_MS = 180_000;

  /** Web chat: a resident with no widget open for this many milliseconds before any answer has abandoned the chat. */
  @Transform(toInt) @IsInt() @Min(1000) @Max(86_400_000)
  WEBCHAT_ABANDON_AFTER_MS = 120_000;

  /** Web chat: messages a visitor may send per minute (an IP address: five times as many). */
  @Transform(toInt) @IsInt() @Min(1) @Max(10_000)
  WEBCHAT_MESSAGES_PER_MINUTE = 30;

  /** Web chat: sessions (POST /webchat/v1/session) an IP address may open per minute. */
  @Transform(toInt) @IsInt() @Min(1) @Max(1_000_000)
  WEBCHAT_SESSIONS_PER_MINUTE = 60;

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
